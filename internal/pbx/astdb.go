package pbx

import (
	"context"
	"fmt"
	"strings"

	"github.com/coocenter/coocenterd/internal/ami"
)

// AstDB is Asterisk's database (DBPut, DBDel, DBGetTree) as the blacklist
// mirror uses it.
type AstDB struct{ P *PBX }

// Put sets family/key to value.
func (d AstDB) Put(ctx context.Context, family, key, value string) error {
	_, err := d.P.do(ctx, ami.Action{Name: "DBPut", Headers: []ami.Header{h("Family", family), h("Key", key), h("Val", value)}})
	if err != nil {
		return fmt.Errorf("astdb put %s/%s: %w", family, key, err)
	}
	return nil
}

// Del removes family/key; a key that is not there is not an error (Asterisk
// 20 answers an error for it, older ones success).
func (d AstDB) Del(ctx context.Context, family, key string) error {
	_, err := d.P.do(ctx, ami.Action{Name: "DBDel", Headers: []ami.Header{h("Family", family), h("Key", key)}})
	if err != nil && !isResponse(err, "could not be deleted") && !isResponse(err, "not found") {
		return fmt.Errorf("astdb del %s/%s: %w", family, key, err)
	}
	return nil
}

// Tree returns every key of family. It uses DBGetTree where Asterisk has it
// (16.28/18.14/19.6/20+) and the CLI's `database show` elsewhere.
func (d AstDB) Tree(ctx context.Context, family string) (map[string]string, error) {
	out := map[string]string{}
	res, err := d.P.do(ctx, ami.Action{Name: "DBGetTree", Headers: []ami.Header{h("Family", family)}})
	switch {
	case err == nil:
		prefix := "/" + family + "/"
		for _, m := range res.Events {
			key := m.Get("Key")
			if !strings.HasPrefix(strings.ToLower(key), strings.ToLower(prefix)) {
				continue
			}
			out[key[len(prefix):]] = m.Get("Val")
		}
		return out, nil
	case isResponse(err, "invalid/unknown command"):
		return d.treeFromCLI(ctx, family)
	case isResponse(err, "not found") || isResponse(err, "unable to search"):
		return out, nil
	}
	return nil, fmt.Errorf("astdb tree %s: %w", family, err)
}

// treeFromCLI parses `database show <family>`: "/family/key   : value".
func (d AstDB) treeFromCLI(ctx context.Context, family string) (map[string]string, error) {
	res, err := d.P.do(ctx, ami.Action{Name: "Command", Headers: []ami.Header{h("Command", "database show "+family)}})
	if err != nil {
		return nil, fmt.Errorf("astdb tree %s: %w", family, err)
	}
	out := map[string]string{}
	prefix := "/" + family + "/"
	for _, line := range res.Response.Values("Output") {
		k, v, ok := strings.Cut(line, ":")
		k = strings.TrimSpace(k)
		if !ok || !strings.HasPrefix(k, prefix) {
			continue
		}
		out[k[len(prefix):]] = strings.TrimSpace(v)
	}
	return out, nil
}
