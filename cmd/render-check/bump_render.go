package main

import (
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/imagebump"
)

// newBumpRenderer returns what bump uses to render clusters: exact reach
// (the files each app reads) and the check after writing that the apps
// deploy the new reference. It returns nil while internal/render is not
// implemented; bump then approximates reach by path and skips the check.
func newBumpRenderer(root string, cfg *config.Config) imagebump.Renderer {
	return nil
}
