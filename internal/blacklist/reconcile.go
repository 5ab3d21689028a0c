package blacklist

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// Reconcile makes the AstDB family agree with bbolt, once; the daemon calls
// it on every AMI (re)connect. The rules:
//
//   - The first reconcile ever (per family; remembered in bbolt) imports
//     every valid number found only in AstDB — the migration from an old box
//     that kept its list there — unless it is pending deletion here or
//     expired. If the import would overflow the cap, nothing is imported,
//     AstDB-only keys are left alone and the next reconcile tries again.
//   - Every listed number whose key is missing or holds another value is
//     written.
//   - After the first import, every key found only in AstDB is deleted (the
//     family is ours), invalid ones included.
//   - Pending numbers are flushed.
//
// Each key is decided from bbolt at the moment it is written, under the
// same lock as API changes, so a concurrent Add or Remove is never undone.
// Keys AstDB fails to take stay pending for Run. The error joins what went
// wrong; a partial reconcile still did what it could.
func (s *Store) Reconcile(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	s.reconcileMu.Lock()
	defer s.reconcileMu.Unlock()
	tree, err := s.mirror.Tree(ctx, s.family)
	if err != nil {
		return fmt.Errorf("reconcile blacklist: read AstDB family %s: %w", s.family, err)
	}
	imported, owned, importErr := s.importFirst(tree)
	if importErr != nil {
		s.log.Error("AstDB entries not imported; they stay in AstDB until the next reconcile", "err", importErr)
	}
	todo, invalid, err := s.plan(tree, owned)
	if err != nil {
		return fmt.Errorf("reconcile blacklist: %w", err)
	}
	failed, flushErr := s.flushAll(ctx, todo)
	invalidErr := s.deleteInvalid(ctx, invalid)
	s.log.Info("reconciled with AstDB", "imported", imported, "updated", len(todo),
		"invalid", len(invalid), "failed", failed)
	if flushErr == nil {
		signal(s.recovered) // Asterisk answers: Run may drop its backoff
	} else {
		s.wake() // Run retries what is left pending
	}
	if err := errors.Join(importErr, flushErr, invalidErr); err != nil {
		return fmt.Errorf("reconcile blacklist: %w", err)
	}
	return nil
}

// plan lists the numbers whose AstDB key must be flushed — listed but
// missing or different there, found only there (once owned), pending — and
// the AstDB keys that are not numbers at all.
func (s *Store) plan(tree map[string]string, owned bool) (todo, invalid []string, err error) {
	err = s.db.View(func(bt *bbolt.Tx) error {
		t := wrap(bt)
		for k := range tree {
			switch {
			case !owned || t.entries.Get([]byte(k)) != nil:
			case ValidNumber(k) != nil:
				invalid = append(invalid, k)
			default:
				todo = append(todo, k)
			}
		}
		_ = t.pending.ForEach(func(k, _ []byte) error {
			todo = append(todo, string(k))
			return nil
		})
		return t.entries.ForEach(func(k, v []byte) error {
			r, err := decode(string(k), v)
			if val, ok := tree[string(k)]; err == nil && (!ok || val != mirrorValue(r)) {
				todo = append(todo, string(k))
			}
			return err
		})
	})
	slices.Sort(todo)
	return slices.Compact(todo), invalid, err
}

// importFirst imports AstDB-only numbers if this family was never
// reconciled, in one transaction with the flag that says it was. owned
// reports whether the family is ours now (the import is done).
func (s *Store) importFirst(tree map[string]string) (imported int, owned bool, err error) {
	now := s.opts.Now().UTC().Truncate(time.Second)
	flag := []byte(keyReconciled + s.family)
	err = s.db.Update(func(bt *bbolt.Tx) error {
		t := wrap(bt)
		if t.meta.Get(flag) != nil {
			owned = true
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(tree)) {
			if ValidNumber(k) != nil || t.entries.Get([]byte(k)) != nil || t.pending.Get([]byte(k)) != nil {
				continue
			}
			r := parseMirrorValue(tree[k], now)
			if r.expired(now) {
				continue
			}
			if err := t.put(k, r, s.opts.MaxEntries, now); err != nil {
				return err
			}
			imported++
		}
		owned = true
		return t.meta.Put(flag, []byte(now.Format(time.RFC3339)))
	})
	if err != nil {
		return 0, false, fmt.Errorf("import from AstDB: %w", err)
	}
	if imported > 0 {
		s.log.Info("imported entries found only in AstDB (first reconcile)", "count", imported)
	}
	return imported, owned, nil
}

// deleteInvalid removes AstDB keys that are not valid numbers. They are not
// marked pending (a key Asterisk itself refuses could never leave the
// queue); the next reconcile tries again.
func (s *Store) deleteInvalid(ctx context.Context, keys []string) error {
	var errs []error
	for _, k := range keys {
		s.log.Warn("deleting an AstDB key that is not a valid number", "key", show(k))
		cctx, cancel := context.WithTimeout(ctx, s.opts.MirrorTimeout)
		err := s.mirror.Del(cctx, s.family, k)
		cancel()
		if err != nil && !errors.Is(err, ErrAbsent) {
			errs = append(errs, fmt.Errorf("AstDB %s/%s: %w", s.family, show(k), err))
			if len(errs) == 3 {
				break
			}
		}
	}
	return errors.Join(errs...)
}
