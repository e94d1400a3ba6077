//go:build unix

package rootfs

import "syscall"

// oNoFollow makes opening a symlink fail.
const oNoFollow = syscall.O_NOFOLLOW
