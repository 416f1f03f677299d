// Output files are written whole or not at all, through a link to its target, and never by
// renaming over a device, pipe or folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>

#include "prism/mapped_file.h"
#include "test_util.h"

using namespace prism;
namespace fs = std::filesystem;

TEST(file_output, writes_whole_files_and_follows_links) {
    test::temp_dir dir;
    const auto target = dir.file("target.txt"), link = dir.file("link.txt");
    ASSERT_TRUE(file_write_atomic(target, "old").has_value());
    fs::create_symlink(target, link);
    ASSERT_TRUE(file_write_atomic(link, "new").has_value());
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(test::read_file(target), "new");
    EXPECT_TRUE(file_check_output(dir.file("fresh.txt")).has_value());
    EXPECT_EQ(fs::directory_iterator(dir.path()) == fs::directory_iterator(), false);
    for (const auto& e : fs::directory_iterator(dir.path()))  // no temporaries left behind
        EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(file_output, refuses_devices_pipes_folders_and_missing_folders) {
    test::temp_dir dir;
    const auto fifo = dir.file("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const std::string& bad : {fifo, std::string("/dev/null"), dir.path().string(),
                                   dir.file("missing/x.npy"), std::string()}) {
        auto check = file_check_output(bad);
        EXPECT_FALSE(check.has_value()) << bad;
        EXPECT_FALSE(file_write_atomic(bad, "x").has_value()) << bad;
    }
    struct stat st {};
    ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO must survive";
    ASSERT_EQ(::stat("/dev/null", &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null must survive";
    EXPECT_NE(file_check_output(fifo).error().message.find("not a regular file"),
              std::string::npos);
}

// A link to a file that does not exist yet creates that file (relative targets resolve
// beside the link) and the link stays; a link into a missing folder, or a loop, is an error.
TEST(file_output, dangling_links_create_their_target_and_loops_are_refused) {
    test::temp_dir dir;
    const auto link = dir.file("dangling.txt");
    fs::create_symlink("created.txt", link);
    ASSERT_TRUE(file_write_atomic(link, "made").has_value());
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(test::read_file(dir.file("created.txt")), "made");

    const auto nowhere = dir.file("nowhere.txt");
    fs::create_symlink(dir.file("missing/x.txt"), nowhere);
    EXPECT_FALSE(file_write_atomic(nowhere, "x").has_value());
    EXPECT_TRUE(fs::is_symlink(nowhere));

    const auto a = dir.file("a"), b = dir.file("b");
    fs::create_symlink(b, a);
    fs::create_symlink(a, b);
    auto loop = file_write_atomic(a, "x");
    ASSERT_FALSE(loop.has_value());
    EXPECT_NE(loop.error().message.find("too many levels of links"), std::string::npos);
    EXPECT_TRUE(fs::is_symlink(a) && fs::is_symlink(b));
}
