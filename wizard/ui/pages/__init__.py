"""The wizard's pages, one module each, in the order of wizard.ui.wizard.Pages."""
