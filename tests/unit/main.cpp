// Unit tests: pure logic, no servers. Built with ASan and UBSan; CppUTest's
// own new/delete overloads are off so LeakSanitizer does the leak checking.

#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

int main(int argc, char** argv) {
    MemoryLeakWarningPlugin::turnOffNewDeleteOverloads();
    return CommandLineTestRunner::RunAllTests(argc, argv);
}
