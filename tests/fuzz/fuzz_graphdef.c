/* Fuzz target: a TensorFlow GraphDef (inception5h .pb) parsed from memory (fv_tf_load), and whatever it
 * accepts built into the InceptionV1 graph and sized, as fv_model_load does with a user's file. */
#include "fuzz.h"
#include "models/modelfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fv_modelfile *mf = NULL;
    if (fv_tf_load("fuzz.pb", data, size, &mf) == FV_OK) {
        FUZZ_CHECK(mf && mf->nlayers > 0, "accepted a graph with no layers");
        fuzz_build_net(mf, FV_MODEL_INCEPTION_TF);
        fv_modelfile_free(mf);
    } else {
        FUZZ_CHECK(!mf, "a failed load returned a model file");
    }
    return 0;
}
