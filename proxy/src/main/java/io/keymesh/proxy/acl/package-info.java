/** Users and their ACL rules in Redis' ACL SETUSER syntax: the rule parser, the users, the per-command check and the ACL log. */
package io.keymesh.proxy.acl;
