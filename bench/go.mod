module github.com/ringnet/ringnet/bench

go 1.26.0

require github.com/ringnet/ringnet v0.0.0

require github.com/julienschmidt/httprouter v1.3.0

replace github.com/ringnet/ringnet => ../
