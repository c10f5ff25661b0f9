// The SQLite store's files: created private (0600), and checked to be private when opened.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "store/template_store.h"

namespace facet::store {

// Creates the empty store file with mode 0600 whatever the umask (SQLite would create it 0666
// minus the umask, 0644 usually). SQLite gives its -wal and -shm files the mode of the store file
// (and fchmods them to it), so they are 0600 too.
Status CreatePrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return Status::InvalidArgument(path + ": cannot create the store: " + std::strerror(errno));
  const bool ok = ::fchmod(fd, 0600) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status::Internal(path + ": cannot set mode 0600: " + std::strerror(saved));
  }
  return Status::Ok();
}

Status CheckPrivateStoreFiles(const std::string& path) {
  std::string loose;
  for (const std::string& file : {path, path + "-wal", path + "-shm", path + "-journal"}) {
    struct stat info {};
    if (::lstat(file.c_str(), &info) != 0) continue;  // absent (-wal/-shm come and go)
    if ((info.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
      loose += (loose.empty() ? "" : ", ") + file + " (mode " + mode + ")";
    }
  }
  if (loose.empty()) return Status::Ok();
  return Status::FailedPrecondition(
      "the store holds personal data but is accessible by group or others: " + loose +
      "; make it private with: chmod 600 " + path + "*");
}

}  // namespace facet::store
