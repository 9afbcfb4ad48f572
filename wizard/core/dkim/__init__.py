"""DKIM (RFC 6376, RFC 8463): key records, pastes, the record to add, and live comparison."""
