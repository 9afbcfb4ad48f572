"""SPF (RFC 7208): the record's parser, check_host(), the include tree, the rules and the composer."""
