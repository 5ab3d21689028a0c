//go:build !unix

package recordings

// openFlags: systems without FIFOs in the file system need no O_NONBLOCK.
const openFlags = 0
