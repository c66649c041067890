// Package secret keeps secrets secret: it refuses credential and key files
// that others than their owner may read, and redacts credentials in the
// URLs and texts that the agent logs, serves or prints.
package secret

import (
	"fmt"
	"os"
)

// CheckFile refuses the file at path, named by its config key in errors,
// unless only its owner may read or write it (mode 0600 or narrower). A
// password, token or private key readable by a group or by everyone is
// one copy away from leaving the device.
func CheckFile(key, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("'%s': %w", key, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("'%s' %s has mode %04o: a file holding a secret must be readable by its owner only (chmod 600 %s)",
			key, path, perm, path)
	}
	return nil
}

// ReadFile reads the secret file at path after CheckFile.
func ReadFile(key, path string) ([]byte, error) {
	if err := CheckFile(key, path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("'%s': %w", key, err)
	}
	return b, nil
}
