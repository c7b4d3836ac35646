// Text specs and parameter validation: one parser, clear errors, a canonical round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "test_support.hpp"

namespace rectify {
namespace {

using testing::error_of;

TEST(Spec, PositionalAndNamedParameters) {
  EXPECT_EQ(Activation::parse("leaky_relu:0.2").param("negative_slope"), 0.2);
  EXPECT_EQ(Activation::parse("elu:alpha=0.5").param("alpha"), 0.5);
  const auto k = Activation::parse(" keras_relu : threshold=1, max_value = 6 ");
  EXPECT_EQ(k.param("negative_slope"), 0.0);
  EXPECT_EQ(k.param("max_value"), 6.0);
  EXPECT_EQ(k.param("threshold"), 1.0);
  EXPECT_TRUE(std::isinf(Activation::parse("keras_relu").param("max_value")));
  EXPECT_EQ(Activation::parse("softplus:2").param("threshold"), 20.0);
}

TEST(Spec, DefaultsFollowTheCommonConventions) {
  EXPECT_EQ(Activation::parse("leaky_relu").param(0), 0.01);  // PyTorch and the seeds
  EXPECT_EQ(Activation::parse("elu").param(0), 1.0);
  EXPECT_EQ(Activation::parse("celu").param(0), 1.0);
  EXPECT_EQ(Activation::parse("prelu").param(0), 0.25);  // PyTorch's init
}

TEST(Spec, EveryRegisteredFunctionRoundTrips) {
  for (const auto& f : registry()) {
    const Activation a(f.fn);
    EXPECT_EQ(a.name(), f.name);
    EXPECT_EQ(Activation::parse(a.to_string()), a) << a.to_string();
  }
  const auto odd = Activation::parse("keras_relu:0.1,6.5,-0.3");
  EXPECT_EQ(Activation::parse(odd.to_string()), odd) << odd.to_string();
}

TEST(Spec, ErrorsNameTheFunctionTheParameterAndTheRange) {
  EXPECT_NE(error_of([] { Activation::parse("relux"); }).find("unknown activation 'relux'"),
            std::string::npos);
  const auto negative_alpha = error_of([] { Activation::parse("elu:-1"); });
  EXPECT_NE(negative_alpha.find("elu"), std::string::npos) << negative_alpha;
  EXPECT_NE(negative_alpha.find("alpha"), std::string::npos) << negative_alpha;
  EXPECT_NE(negative_alpha.find("[0, 1000000]"), std::string::npos) << negative_alpha;
  EXPECT_NE(error_of([] { Activation::parse("celu:0"); }).find("[1.1754943508222875e-38, 1000000]"),
            std::string::npos);
  EXPECT_NE(error_of([] { Activation::parse("elu:beta=1"); }).find("unknown parameter 'beta'"),
            std::string::npos);
  EXPECT_NE(error_of([] { Activation::parse("elu:abc"); }).find("expects a number"),
            std::string::npos);
  EXPECT_NE(error_of([] { Activation::parse("elu:1x"); }).find("expects a number"),
            std::string::npos);
  EXPECT_NE(error_of([] { Activation::parse("elu:1,2"); }).find("takes 1 parameter"),
            std::string::npos);
  EXPECT_NE(error_of([] { Activation::parse("relu:1"); }).find("takes 0 parameter"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { Activation::parse("keras_relu:max_value=1,max_value=2"); }).find("given twice"),
      std::string::npos);
  EXPECT_NE(error_of([] { Activation::parse("elu:nan"); }).find("must be in"), std::string::npos);
  EXPECT_NE(error_of([] { Activation::parse("keras_relu:0,1,2"); }).find("must not exceed"),
            std::string::npos);  // threshold > max_value: min > max
  EXPECT_NE(error_of([] { Activation::parse("keras_relu:max_value=-1"); }).find("max_value"),
            std::string::npos);
  EXPECT_NE(error_of([] { Activation::parse("softplus:beta=0"); }).find("beta"), std::string::npos);
  EXPECT_NE(error_of([] { testing::make("elu", {-0.5}); }).find("alpha"), std::string::npos);
  EXPECT_NE(error_of([] { testing::make("relu6", {1.0}); }).find("takes 0"), std::string::npos);
}

TEST(Spec, BackwardNeedsComeFromTheMetadata) {
  EXPECT_TRUE(Activation::parse("relu").has_mask());
  EXPECT_TRUE(Activation::parse("relu").has_backward_from_output());
  EXPECT_TRUE(Activation::parse("leaky_relu:0.1").has_backward_from_output());
  EXPECT_FALSE(Activation::parse("leaky_relu:-0.1").has_backward_from_output());
  EXPECT_TRUE(Activation::parse("elu:0").has_backward_from_output());
  EXPECT_FALSE(Activation::parse("elu").has_mask());
  EXPECT_FALSE(Activation::parse("gelu_erf").has_backward_from_output());
  EXPECT_FALSE(Activation::parse("silu").has_backward_from_output());
  EXPECT_TRUE(Activation::parse("keras_relu:0,6,0").has_mask());
  EXPECT_FALSE(Activation::parse("keras_relu:0.1,6,0").has_mask());  // three slopes
  EXPECT_TRUE(Activation::parse("keras_relu:0.1,inf,0").has_mask());
  EXPECT_FALSE(Activation::parse("keras_relu:0,inf,-1").has_backward_from_output());
}

}  // namespace
}  // namespace rectify
