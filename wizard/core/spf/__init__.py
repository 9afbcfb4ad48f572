"""SPF (RFC 7208): the record's parser, check_host(), the include tree, the rules and the composer."""

CIMCLOUD_INCLUDE = "_spf.mycimcloud.com"  # the name CIMcloud's guide has every From domain include
