/* Fuzz target: an ONNX ModelProto parsed from memory (fv_onnx_load: the wire pre-check, protobuf-c, every
 * initializer and Constant converted), whatever it accepts built into a network (fv_onnx_build: the graph's
 * order, each operator's attributes and shapes) and sized at two input sizes, as fv_model_load does with a
 * user's .onnx file. */
#include "fuzz.h"
#include "models/modelfile.h"
#include "models/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fv_modelfile *mf = NULL;
    if (fv_onnx_load("fuzz.onnx", data, size, &mf) != FV_OK) {
        FUZZ_CHECK(!mf, "a failed load returned a model file");
        return 0;
    }
    FUZZ_CHECK(mf && mf->onnx, "an accepted file has no ONNX graph");
    fv_net net;
    int nclasses = 0;
    if (fv_onnx_build(mf, &net, &nclasses) == FV_OK) fuzz_size_net(&net, nclasses);
    fv_modelfile_free(mf);
    return 0;
}
