// Package managerconf reads Asterisk's manager.conf the way Asterisk does,
// to find an AMI user that coocenterd may log in as when api.conf gives
// none: the [general] section (enabled, port, bindaddr) and every user
// with its secret, its ACL and its read and write classes.
//
// The rules follow Asterisk 20's sources, not its documentation:
//
//   - The file format is main/config.c's: "[name]" headers with options
//     "(!)" (a template, not a user), "(base,...)" (inherit the variables of
//     earlier sections) and "(+)" (append to an earlier section); "key =
//     value", "key => value" and "key += more"; ";" comments unless escaped
//     as "\;", and ";-- ... --;" block comments across lines; "#include" and
//     "#tryinclude" of a file or a glob (braces too), relative to the main
//     file's directory (Asterisk's config dir), at most 10 levels deep. A
//     missing #include is an error, a missing #tryinclude is not. "#exec" is
//     never run: the users it would produce are not seen.
//   - Users are main/manager.c's: every section but [general] and the
//     templates; sections of the same name (any case) make one user whose
//     last secret, read and write win and whose ACL is that of its last
//     section. permit, deny and acl (named ACLs of acl.conf, in the same
//     directory) are main/acl.c's: within permit/deny, the last rule that
//     matches decides and an address no rule matches is allowed; every named
//     ACL must allow too. A user with an ACL Asterisk cannot parse is
//     dropped by Asterisk, and refused here.
//   - Classes are matched as get_perm does, quirks included: "read =
//     system,call" works, "read = system, call" grants no call.
//   - What coocenterd needs (NeedRead, NeedWrite) is derived from the
//     classes each AMI action it sends requires and each event it reads is
//     published under.
//
// Secrets are read (Account.Secret) but never appear in an error. Not read:
// users.conf (its hasmanager users) and realtime configuration.
package managerconf
