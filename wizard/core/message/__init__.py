"""Messages as the admin saves them: parsed, their DKIM signatures and SPF identity read, DMARC judged."""
