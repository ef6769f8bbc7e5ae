module github.com/ringnet/ringnet/bench

go 1.26.0

require github.com/ringnet/ringnet v0.0.0

require (
	github.com/julienschmidt/httprouter v1.3.0
	github.com/lesismal/nbio v1.5.12
	github.com/panjf2000/gnet/v2 v2.5.7
	github.com/pawelgaczynski/gain v0.4.0-alpha
	github.com/valyala/fasthttp v1.74.0
	golang.org/x/sys v0.49.0
)

require (
	github.com/alitto/pond v1.7.1 // indirect
	github.com/klauspost/compress v1.20.0 // indirect
	github.com/lesismal/llib v1.1.13 // indirect
	github.com/molecule-man/go-brrr v1.0.1 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/rs/zerolog v1.26.1 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	go.uber.org/atomic v1.7.0 // indirect
	go.uber.org/multierr v1.6.0 // indirect
	go.uber.org/zap v1.21.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.7.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
)

replace github.com/ringnet/ringnet => ../
