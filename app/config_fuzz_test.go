package app

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig: any file either loads into a configuration that passes
// validation, or fails with an error — never a panic.
func FuzzLoadConfig(f *testing.F) {
	if data, err := os.ReadFile("../config.example.toml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("[imap]\nhost = \"mail\"\nusername = \"u\"\npoll_interval = \"1s\"\n"))
	f.Add([]byte("[[vendors]]\nname = \"R\"\nemail = \"r@r.example\"\ncase_pattern = \"RMA-(\\\\d+)\"\n"))
	f.Add([]byte("[server]\nlisten = [1,2]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path, nil)
		if err != nil {
			return
		}
		if verr := cfg.Validate(); verr != nil {
			t.Fatalf("LoadConfig accepted a config that does not validate: %v", verr)
		}
	})
}
