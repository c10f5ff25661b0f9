#include "cli_common.h"
#include "commands.h"

namespace facet::cli {

Action RegisterEval(CLI::App& app) {
  app.add_subcommand("eval", "evaluate accuracy (in progress)");
  return [] { return kExitUsage; };
}

}  // namespace facet::cli
