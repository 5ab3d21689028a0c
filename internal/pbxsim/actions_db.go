package pbxsim

import "github.com/coocenter/coocenterd/internal/ami"

// AstDB actions, with the messages of main/db.c @ 20.x.

func dbPath(family, key string) string { return "/" + family + "/" + key }

// dbArgs reads Family and Key as DBGet and DBDel do, answering the error
// (with its trailing period, unlike DBPut's) when one is missing.
func dbArgs(sess *session, req ami.Message) (family, key string, ok bool) {
	family, key = req.Get("Family"), req.Get("Key")
	switch {
	case family == "":
		sess.send(response(req, "Error", "No family specified.")...)
	case key == "":
		sess.send(response(req, "Error", "No key specified.")...)
	default:
		return family, key, true
	}
	return "", "", false
}

func (s *Server) actionDBPut(sess *session, req ami.Message) {
	family, key := req.Get("Family"), req.Get("Key")
	switch {
	case family == "":
		sess.send(response(req, "Error", "No family specified")...)
	case key == "":
		sess.send(response(req, "Error", "No key specified")...)
	default:
		s.db[dbPath(family, key)] = req.Get("Val")
		sess.send(response(req, "Success", "Updated database successfully")...)
	}
}

func (s *Server) actionDBGet(sess *session, req ami.Message) {
	family, key, ok := dbArgs(sess, req)
	if !ok {
		return
	}
	val, ok := s.db[dbPath(family, key)]
	if !ok {
		sess.send(response(req, "Error", "Database entry not found")...)
		return
	}
	sess.send(listStart(req, "Result will follow")...)
	sess.send(listItemIDLast(req, "DBGetResponse", hdrs("Family", family, "Key", key, "Val", val)...)...)
	sess.send(listComplete(req, "DBGetComplete", 1)...)
}

func (s *Server) actionDBDel(sess *session, req ami.Message) {
	family, key, ok := dbArgs(sess, req)
	if !ok {
		return
	}
	p := dbPath(family, key)
	if _, ok := s.db[p]; !ok {
		sess.send(response(req, "Error", "Database entry could not be deleted")...)
		return
	}
	delete(s.db, p)
	sess.send(response(req, "Success", "Key deleted successfully")...)
}

// actionDBDelTree deletes a family, or a key and the keys under it, as
// main/db.c does; nothing to delete is an error (seen on 20.20.1, ami-08).
func (s *Server) actionDBDelTree(sess *session, req ami.Message) {
	family, key := req.Get("Family"), req.Get("Key")
	if family == "" {
		sess.send(response(req, "Error", "No family specified.")...)
		return
	}
	prefix := "/" + family
	if key != "" {
		prefix += "/" + key
	}
	keys := s.dbKeys(prefix)
	if _, ok := s.db[prefix]; ok && key != "" {
		keys = append(keys, prefix)
	}
	if len(keys) == 0 {
		sess.send(response(req, "Error", "Database entry not found")...)
		return
	}
	for _, k := range keys {
		delete(s.db, k)
	}
	sess.send(response(req, "Success", "Key tree deleted successfully")...)
}

func (s *Server) actionDBGetTree(sess *session, req ami.Message) {
	family, key := req.Get("Family"), req.Get("Key")
	prefix := ""
	if family != "" {
		prefix = "/" + family
		if key != "" {
			prefix += "/" + key
		}
	}
	keys := s.dbKeys(prefix)
	if prefix != "" {
		if _, ok := s.db[prefix]; ok {
			keys = append([]string{prefix}, keys...)
		}
	}
	sess.send(listStart(req, "Result will follow")...)
	for _, k := range keys {
		sess.send(listItemIDLast(req, "DBGetTreeResponse", hdrs("Key", k, "Val", s.db[k])...)...)
	}
	sess.send(listComplete(req, "DBGetTreeComplete", len(keys))...)
}

// dbExists is DB_EXISTS(family/key) of the dialplan.
func (s *Server) dbExists(family, key string) bool {
	_, ok := s.db[dbPath(family, key)]
	return ok
}
