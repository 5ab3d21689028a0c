package pusher

import (
	"os"
	"syscall"
)

// fdatasync flushes a file's data, and its size if that changed, without
// the times a write changes: the journal's writes land in blocks that
// are already allocated, so this is one flush, not a filesystem commit.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
