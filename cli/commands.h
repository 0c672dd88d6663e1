#pragma once

#include <memory>
#include <string>

namespace trustcoach {
class Engine;
}  // namespace trustcoach

namespace trustcoach::cli {

// Each subcommand of `trustcoach`: argv[0] is the subcommand's name.
// Returns the process exit code. Each reads its settings through
// LoadSettingsOrExit() (cli/settings.h).
int RunChat(int argc, char** argv);
int RunLint(int argc, char** argv);
int RunTest(int argc, char** argv);
int RunAnalyze(int argc, char** argv);
int RunGraph(int argc, char** argv);
int RunServe(int argc, char** argv);   // cli/serve.cc
int RunReview(int argc, char** argv);  // cli/review.cc (needs the server)

// Loads the dialogs in `dir`; on failure prints every problem to stderr and
// returns null.
std::unique_ptr<Engine> LoadEngineOrPrintErrors(const std::string& dir);

}  // namespace trustcoach::cli
