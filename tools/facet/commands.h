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
// --- galleries (galleries branch) ---
Action RegisterInit(CLI::App& app);
Action RegisterGallery(CLI::App& app);
Action RegisterPerson(CLI::App& app);
Action RegisterConsent(CLI::App& app);
Action RegisterEnroll(CLI::App& app);
Action RegisterIdentify(CLI::App& app);
Action RegisterVerify(CLI::App& app);
Action RegisterCluster(CLI::App& app);
Action RegisterAudit(CLI::App& app);
Action RegisterStore(CLI::App& app);  // cmd_store.cc
// --- end galleries ---
Action RegisterRedact(CLI::App& app);
Action RegisterModels(CLI::App& app);

// A subcommand of `facet eval` defined in its own file: the subcommand and its action.
struct EvalSubcommand {
  CLI::App* app = nullptr;
  Action action;
};
EvalSubcommand RegisterEvalRedact(CLI::App* eval);  // cmd_eval_redact.cc
EvalSubcommand RegisterEvalReid(CLI::App* eval);    // cmd_eval_reid.cc
EvalSubcommand RegisterEvalRedactVideo(CLI::App* eval);  // cmd_eval_redact_video.cc
// Subcommands of `facet models` (cmd_models_add.cc).
using Subcommand = EvalSubcommand;
Subcommand RegisterModelsAdd(CLI::App* models);
Subcommand RegisterModelsCalibrate(CLI::App* models);

}  // namespace facet::cli

#endif  // FACET_TOOLS_FACET_COMMANDS_H_
