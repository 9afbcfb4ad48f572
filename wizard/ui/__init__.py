"""The Qt wizard: the only package that imports PySide6. It draws and wires; decisions live in the core."""
