#include "base/metrics.hpp"

#include <cerrno>
#include <csignal>
#include <algorithm>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/log.hpp"

namespace concert::metrics {

namespace {

constexpr char kMagic[8] = {'C', 'N', 'C', 'M', 'E', 'T', '0', '1'};
constexpr const char* kSuffix = ".metrics";

struct Header {
    char magic[8];
    std::uint64_t slots;
    std::uint64_t slot_size;
    char name[40];
};
static_assert(sizeof(Header) == 64, "the header is one cache line");

Slot private_slot{};
Slot* current = &private_slot;  // this process's slot
Slot* pool_slots = nullptr;     // the master's mapping, inherited by its workers
std::uint64_t pool_slot_count = 0;

// One writer per slot: a relaxed load and store, no locked instruction.
// Readers load whole words, so they never see half a number.
inline void add(std::uint64_t& word, std::uint64_t n) {
    __atomic_store_n(&word, __atomic_load_n(&word, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

inline std::uint64_t load(const std::uint64_t& word) { return __atomic_load_n(&word, __ATOMIC_RELAXED); }

std::size_t file_size(std::uint64_t slots) { return sizeof(Header) + slots * sizeof(Slot); }

bool alive(std::uint64_t pid) {
    return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

}  // namespace

void open_pool(const std::string& dir, const std::string& name, int slots) {
    if (dir.empty() || slots <= 0) return;
    std::string path = dir + "/" + name + kSuffix;
    std::string tmp = dir + "/." + name + ".tmp";
    std::size_t size = file_size(static_cast<std::uint64_t>(slots));
    int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    void* map = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, static_cast<off_t>(size)) == 0) {
        map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    }
    if (fd >= 0) close(fd);
    if (map == MAP_FAILED || rename(tmp.c_str(), path.c_str()) != 0) {
        log_line(name + ": no metrics (cannot make " + path + ": " + std::strerror(errno) + ")");
        if (map != MAP_FAILED) munmap(map, size);
        unlink(tmp.c_str());
        return;
    }
    // A shared file mapping on a disk file system is written back by the
    // kernel now and then, and a worker writing to a page under writeback
    // waits for the disk: keep the counters in memory (tmpfs: /run, /dev/shm).
    constexpr long kTmpfsMagic = 0x01021994;
    constexpr long kRamfsMagic = 0x858458f6;
    struct statfs fs {};
    if (statfs(dir.c_str(), &fs) == 0 && static_cast<long>(fs.f_type) != kTmpfsMagic &&
        static_cast<long>(fs.f_type) != kRamfsMagic) {
        log_line(name + ": metrics in " + dir + ", which is not in memory (tmpfs): workers may stall on its writeback");
    }
    auto* header = static_cast<Header*>(map);
    header->slots = static_cast<std::uint64_t>(slots);
    header->slot_size = sizeof(Slot);
    std::strncpy(header->name, name.c_str(), sizeof header->name - 1);
    std::memcpy(header->magic, kMagic, sizeof kMagic);  // last: a reader sees a whole header or none
    pool_slots = reinterpret_cast<Slot*>(static_cast<char*>(map) + sizeof(Header));
    pool_slot_count = static_cast<std::uint64_t>(slots);
}

void use_slot(int index) {
    if (pool_slots == nullptr || index < 0 || static_cast<std::uint64_t>(index) >= pool_slot_count) return;
    current = &pool_slots[index];
    __atomic_store_n(&current->pid, static_cast<std::uint64_t>(getpid()), __ATOMIC_RELAXED);
}

void request_done(int status, std::int64_t micros) {
    std::size_t s = 0;
    while (s < kStatusCount && kStatuses[s] != status) ++s;
    add(current->requests[s], 1);
    std::size_t b = 0;
    while (b < kBucketCount && micros > kBucketMicros[b]) ++b;
    add(current->buckets[b], 1);
    add(current->duration_micros, static_cast<std::uint64_t>(micros < 0 ? 0 : micros));
}

void retry() { add(current->retries, 1); }
void commit_conflict() { add(current->commit_conflicts, 1); }
void db_error() { add(current->db_errors, 1); }
void redis_error() { add(current->redis_errors, 1); }
void hold_made() { add(current->holds, 1); }
void hold_cancelled() { add(current->cancels, 1); }

void payment(std::int64_t seats, std::int64_t amount) {
    add(current->payments, 1);
    add(current->seats_sold, static_cast<std::uint64_t>(seats));
    add(current->paid_amount, static_cast<std::uint64_t>(amount));
}

void charge(std::int64_t amount) {
    add(current->charges, 1);
    add(current->charged_amount, static_cast<std::uint64_t>(amount));
}

std::vector<Pool> read_pools(const std::string& dir) {
    std::vector<Pool> pools;
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return pools;
    constexpr std::size_t kWords = sizeof(Slot) / sizeof(std::uint64_t);
    while (dirent* e = readdir(d)) {
        std::string file = e->d_name;
        if (file.size() <= std::strlen(kSuffix) || file[0] == '.' ||
            file.compare(file.size() - std::strlen(kSuffix), std::string::npos, kSuffix) != 0) {
            continue;
        }
        int fd = open((dir + "/" + file).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        void* map = MAP_FAILED;
        if (fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) >= sizeof(Header)) {
            map = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
        }
        close(fd);
        if (map == MAP_FAILED) continue;
        const auto* header = static_cast<const Header*>(map);
        if (std::memcmp(header->magic, kMagic, sizeof kMagic) == 0 && header->slot_size == sizeof(Slot) &&
            file_size(header->slots) <= static_cast<std::size_t>(st.st_size)) {
            Pool pool;
            pool.name.assign(header->name, strnlen(header->name, sizeof header->name));
            pool.workers = static_cast<int>(header->slots);
            const auto* words = reinterpret_cast<const std::uint64_t*>(static_cast<const char*>(map) + sizeof(Header));
            auto* sum = reinterpret_cast<std::uint64_t*>(&pool.total);
            for (std::uint64_t s = 0; s < header->slots; ++s) {
                const std::uint64_t* slot = words + s * kWords;
                if (alive(load(slot[0]))) ++pool.workers_alive;
                for (std::size_t w = 1; w < kWords; ++w) sum[w] += load(slot[w]);
            }
            pools.push_back(std::move(pool));
        }
        munmap(map, static_cast<std::size_t>(st.st_size));
    }
    closedir(d);
    std::sort(pools.begin(), pools.end(), [](const Pool& a, const Pool& b) { return a.name < b.name; });
    return pools;
}

}  // namespace concert::metrics
