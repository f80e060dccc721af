"""cc_protoc_library: C++ code from a .proto with the system protoc.

Bazel's native proto rules would need a download, so a genrule runs
/usr/bin/protoc with the workspace root as import path (as CMake runs it with
the source root): gofer/proto/gofer.proto becomes gofer/proto/gofer.pb.{h,cc}
under $(GENDIR), included as "gofer/proto/gofer.pb.h".
"""

def cc_protoc_library(name, src, proto_deps = [], deps = [], **kwargs):
    """A cc_library of the code protoc generates from one .proto file.

    Args:
      name: the cc_library's name (the CMake target's name).
      src: the .proto file, relative to this package.
      proto_deps: other .proto files `src` imports (labels), inputs of protoc.
      deps: cc_library targets of those imports' generated code.
      **kwargs: passed to the cc_library (visibility, ...).
    """
    if not src.endswith(".proto"):
        fail("cc_protoc_library: src must end in .proto: " + src)
    stem = src[:-len(".proto")]
    native.genrule(
        name = name + "_protoc",
        srcs = [src] + proto_deps,
        outs = [stem + ".pb.h", stem + ".pb.cc"],
        cmd = "/usr/bin/protoc -I. --cpp_out=$(GENDIR) $(location %s)" % src,
    )
    native.cc_library(
        name = name,
        srcs = [stem + ".pb.cc"],
        hdrs = [stem + ".pb.h"],
        deps = deps + ["//third_party:protobuf"],
        **kwargs
    )
