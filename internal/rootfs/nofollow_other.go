//go:build !unix

package rootfs

// oNoFollow is not available; Create and WriteIn check with Lstat.
const oNoFollow = 0
