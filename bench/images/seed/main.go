// Command seed pushes a small random image for every image the example
// config repo renders into a local registry, under "<registry>/<upstream
// host>/<repository>:<tag>", and prints the `images:` configuration that
// makes render-check check them there (mirrors + insecure). Used by
// bench/images/demo.sh so the README demo verifies images without the internet.
//
//	go run ./bench/images/seed --root testdata/clusters --registry 127.0.0.1:5000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/render"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fl := flag.NewFlagSet("seed", flag.ContinueOnError)
	root := fl.String("root", "testdata/clusters", "config repo root")
	host := fl.String("registry", "127.0.0.1:5000", "local registry host:port")
	skip := fl.String("skip", "", "comma-separated references not to push (to demonstrate a finding)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*root, "")
	if err != nil {
		return err
	}
	res, err := render.Render(ctx, render.Options{Root: *root, Config: cfg})
	if err != nil {
		return err
	}
	img, err := random.Image(256, 1)
	if err != nil {
		return err
	}
	mirrors := map[string]string{}
	seen := map[string]bool{}
	for _, c := range res.Clusters {
		for _, r := range c.All() {
			for _, u := range images.Extract(r.Object) {
				ref, err := registry.Parse(u.Image)
				if err != nil || seen[ref.String()] || ref.Digest != "" {
					continue
				}
				seen[ref.String()] = true
				up := ref.Registry()
				if up == "index.docker.io" {
					up = "docker.io"
				}
				mirrors[up] = *host + "/" + up
				if slices.Contains(strings.Split(*skip, ","), u.Image) {
					continue
				}
				tag, err := name.NewTag(*host+"/"+up+"/"+ref.Repository.RepositoryStr()+":"+ref.EffectiveTag(), name.Insecure)
				if err != nil {
					return err
				}
				if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
					return fmt.Errorf("pushing %s: %w", tag, err)
				}
				fmt.Fprintf(os.Stderr, "seeded %s as %s\n", u.Image, tag)
			}
		}
	}
	fmt.Fprintf(out, "images:\n  insecure: [%q]\n  mirrors:\n", *host)
	for _, up := range slices.Sorted(func(yield func(string) bool) {
		for k := range mirrors {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(out, "    %s: [%q]\n", up, mirrors[up])
	}
	return nil
}
