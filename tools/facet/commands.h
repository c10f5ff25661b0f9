// The subcommands of the facet CLI. Each Register* adds its subcommand to the app and returns
// the action to run when it was chosen.
#ifndef FACET_TOOLS_FACET_COMMANDS_H_
#define FACET_TOOLS_FACET_COMMANDS_H_

#include <functional>

#include <CLI/CLI.hpp>

namespace facet::cli {

using Action = std::function<int()>;

Action RegisterDetect(CLI::App& app);
Action RegisterCompare(CLI::App& app);
Action RegisterEval(CLI::App& app);
Action RegisterServe(CLI::App& app);

}  // namespace facet::cli

#endif  // FACET_TOOLS_FACET_COMMANDS_H_
