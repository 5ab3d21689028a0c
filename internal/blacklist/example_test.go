package blacklist_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/blacklist"
)

// astDB stands in for the AMI-backed AstDB the daemon wires in.
type astDB map[string]string

func (a astDB) Put(_ context.Context, family, key, value string) error {
	a[family+"/"+key] = value
	return nil
}

func (a astDB) Del(_ context.Context, family, key string) error {
	delete(a, family+"/"+key)
	return nil
}

func (a astDB) Tree(context.Context, string) (map[string]string, error) {
	return map[string]string{}, nil
}

func Example() {
	dir, _ := os.MkdirTemp("", "blacklist")
	defer os.RemoveAll(dir)
	db, _ := bbolt.Open(filepath.Join(dir, "coocenterd.db"), 0o600, nil)
	defer db.Close()

	ctx := context.Background()
	mirror := astDB{}
	bl, err := blacklist.Open(db, "blacklist", mirror, blacklist.Options{})
	if err != nil {
		panic(err)
	}
	defer bl.Close()
	_ = bl.Reconcile(ctx) // the daemon does this on every AMI connect

	_ = bl.Add(ctx, "0509999999")
	_ = bl.AddEntry(ctx, blacklist.Entry{Number: "400*", Reason: "premium rate"})
	fmt.Println(bl.List(ctx))
	_, blocked := mirror["blacklist/0509999999"] // what DB_EXISTS(blacklist/0509999999) sees
	fmt.Println(blocked)
	e, _, _ := bl.Lookup(ctx, "4001234")
	fmt.Println(e.Number, e.Reason)
	fmt.Println(blacklist.ValidNumber("050-999"))
	// Output:
	// [0509999999 400*] <nil>
	// true
	// 400* premium rate
	// number "050-999" contains '-': only digits 0-9, '*', '#' and '+' are allowed
}
