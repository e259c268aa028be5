// What a long-lived, mostly idle process (a container's monitor) keeps
// resident.
#pragma once

namespace skiff {

/// Drops this process's page-table entries for every read-only mapping of
/// a file that holds no private copy of a page (code, read-only data): the
/// pages stay in the page cache and fault back in when used again, so what
/// stays resident is what the process touches from now on. Mappings with
/// private copies (relocated data, anything written) are never touched:
/// dropping those would lose what was written.
void release_file_pages();

}  // namespace skiff
