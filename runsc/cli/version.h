// What `runsc --version` prints.
//
// Contract: exactly three lines, as runc prints them and as `docker info`
// parses them (it reads the `commit:` line):
//   runsc version 0.1.0
//   commit: <git hash at CMake configure time, or "unknown">
//   spec: 1.1.0
#ifndef RUNSC_CLI_VERSION_H_
#define RUNSC_CLI_VERSION_H_

#include <string>

namespace runsc::cli {

std::string VersionString();  // "0.1.0"
std::string GitCommit();      // The hash, or "unknown".
std::string VersionText();    // The three lines, each ending in '\n'.

}  // namespace runsc::cli

#endif  // RUNSC_CLI_VERSION_H_
