package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/rendercache"
)

func main() {
	root, cdir, prof := os.Args[1], os.Args[2], os.Args[3]
	cfg, err := config.Load(root, "")
	if err != nil {
		panic(err)
	}
	c, _ := rendercache.Open(rendercache.Options{Dir: cdir})
	f, _ := os.Create(prof)
	pprof.StartCPUProfile(f)
	t := time.Now()
	res, err := render.Render(context.Background(), render.Options{Root: root, Config: cfg, Cache: c})
	pprof.StopCPUProfile()
	fmt.Println(time.Since(t), err, *res.Cache)
}
