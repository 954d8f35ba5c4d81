/* libFuzzer target for REPLICATION's Resource document parser (src/jobs/
 * replication_resource.c): any bytes as the JSON text of src_resource/dst_resource.
 *
 * Checks beyond sanitizer reports: a failure has a message and leaves the struct empty;
 * a success has a repository name, a registry type and URL, and a reference list whose
 * entries are all strings (tags are a subset source of the list). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth/error.h"
#include "fuzz_check.h"
#include "jobs/replication.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = fuzz_text(data, size);
    repl_resource r;
    char err[512] = "";
    int rc = repl_resource_parse(text, &r, err, sizeof err);
    if (rc != 0) {
        CHECK(err[0] && !r.repo && !r.refs && r.nrefs == 0 && !r.reg.type);
    } else {
        CHECK(r.repo && r.repo[0] && r.reg.type && r.reg.url);
        for (size_t i = 0; i < r.nrefs; i++)
            CHECK(r.refs[i] != NULL);
        for (size_t i = 0; i < r.ntags; i++)
            CHECK(r.tags[i] != NULL);
    }
    repl_resource_free(&r);
    free(text);
    return 0;
}
