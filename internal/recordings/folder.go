package recordings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotFound is wrapped by every refusal that depends on the disk: a
// missing file, a symlink leading out of the folder, a directory, device,
// FIFO or socket, a permission error (HTTP 404). The wrapped cause is for
// the log, not for the caller.
var ErrNotFound = errors.New("recording not found")

// Folder is the monitor folder, where Asterisk writes the recordings.
type Folder struct {
	dir string
}

// NewFolder returns the folder at dir, an absolute path. dir need not exist
// yet: Asterisk creates it at the first recording.
func NewFolder(dir string) *Folder {
	return &Folder{dir: dir}
}

// Dir returns the folder's path as given to NewFolder.
func (f *Folder) Dir() string { return f.dir }

// openRoot opens the folder for one request. A missing folder is
// ErrNotFound.
func (f *Folder) openRoot() (*os.Root, error) {
	root, err := os.OpenRoot(f.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: open the monitor folder: %w", ErrNotFound, err)
	}
	return root, nil
}

// Open opens the recording name for reading. The error wraps ErrBadPath
// (CleanName refused name) or ErrNotFound (anything on disk, see the
// package comment). The caller closes the file.
func (f *Folder) Open(name string) (*os.File, fs.FileInfo, error) {
	if _, err := CleanName(name); err != nil {
		return nil, nil, err
	}
	root, err := f.openRoot()
	if err != nil {
		return nil, nil, err
	}
	defer root.Close() // an open file outlives its root
	file, err := root.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	// The check is on the opened file, not the name: nothing can be
	// swapped in between.
	info, err := file.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file (%s)", name, info.Mode().Type())
	}
	if err != nil {
		file.Close()
		return nil, nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return file, info, nil
}
