// rectify list: every function with its formula, parameters and what its backward needs.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "rectify/rectify.hpp"

namespace rectify::cli {

Action add_list(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List every function: formula, parameters, backward");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "One JSON object per function");
  return [json] {
    for (const auto& f : registry()) {
      const Activation a(f.fn);
      if (*json) {
        nlohmann::ordered_json j;
        j["name"] = f.name;
        j["formula"] = f.formula;
        j["derivative"] = f.derivative;
        for (const auto& p : f.params) {
          j["params"].push_back({{"name", p.name},
                                 {"default", p.default_value},
                                 {"range", p.range_text()},
                                 {"doc", p.doc}});
        }
        j["exact"] = f.exact;
        j["max_ulp_forward"] = f.max_ulp_forward;
        j["max_ulp_backward"] = f.max_ulp_backward;
        j["backward_from_output"] = a.has_backward_from_output();
        j["mask"] = a.has_mask();
        j["init"] = init_name(f.default_init);
        j["root_window"] = f.root_window;
        j["test_specs"] = std::vector<std::string_view>(f.test_specs.begin(), f.test_specs.end());
        j["layer"] = {{"kind", layer_kind_name(f.layer.kind)},
                      {"width_factor", width_factor(a)},
                      {"he_gain", he_gain(a)},
                      {"alpha_dropout", f.layer.alpha_dropout}};
        // The peers' names, for bench/compare and the parity tests (null: the peer has none).
        const auto text = [](std::string_view s) {
          return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
        };
        j["peers"] = {{"torch", text(f.peers.torch)},
                      {"torch_differs", text(f.peers.torch_differs)},
                      {"onednn", text(f.peers.onednn)},
                      {"onednn_alpha", f.peers.onednn_alpha},
                      {"onednn_beta", f.peers.onednn_beta}};
        fmt::print("{}\n", j.dump());
        continue;
      }
      fmt::print("{:<11} {}\n", f.name, f.formula);
      fmt::print("{:<11} f'(x) = {}\n", "", f.derivative);
      for (const auto& p : f.params) {
        fmt::print("{:<11} {} = {} in {}: {}\n", "", p.name, p.default_value, p.range_text(),
                   p.doc);
      }
      std::string saves = a.has_mask()                   ? "1-bit mask, output or input"
                          : a.has_backward_from_output() ? "output or input"
                                                         : "input";
      fmt::print("{:<11} backward from: {}; {}; init {}\n\n", "", saves,
                 f.exact ? "bit-exact"
                         : fmt::format("<= {} ULP forward, {} backward", f.max_ulp_forward,
                                       f.max_ulp_backward),
                 init_name(f.default_init));
    }
    return 0;
  };
}

}  // namespace rectify::cli
