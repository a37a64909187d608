# Every third-party dependency, found once, from Debian 12 packages.

find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(EXPAT REQUIRED)
find_package(Poco REQUIRED COMPONENTS Foundation Net NetSSL JSON Data DataSQLite Crypto JWT Util)
find_package(Boost 1.74 REQUIRED)
find_package(spdlog REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(simdjson REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)

if(SPSYNC_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SPSYNC_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Boost.DLL without Boost.Filesystem: std::filesystem is enough, and nothing
# from Boost is linked.
add_library(spsync_boost_dll INTERFACE)
target_link_libraries(spsync_boost_dll INTERFACE Boost::headers)
target_compile_definitions(spsync_boost_dll INTERFACE BOOST_DLL_USE_STD_FS)
