//go:build unix

package recordings

import "syscall"

// openFlags makes opening a FIFO return at once instead of waiting for a
// writer; Open then refuses it. On a regular file O_NONBLOCK changes nothing.
const openFlags = syscall.O_NONBLOCK
