"""DMARC (RFC 7489, DMARCbis): the record, policy discovery, report authorization, the composer, the rules."""
