// Package ytgrpc holds the generated Go stubs of YouTube's
// liveChatMessages.streamList gRPC service
// (youtube.api.v3.V3DataLiveChatMessageService/StreamList), transcribed in
// stream_list.proto from Google's "Streaming Live Chat" guide; that file's
// header says where every field number came from. It is internal to the
// collector: the collector's stream source and fakeyoutube's gRPC server
// are its only users.
//
// The generated files are committed and CI does not regenerate them. To
// regenerate, install protoc (Debian: apt-get install protobuf-compiler,
// 3.21.12 was used) and the two plugins at the versions below, then run
// go generate ./collector/internal/ytgrpc.
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
package ytgrpc

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative stream_list.proto
