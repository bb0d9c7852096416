// The one translation unit that compiles Boost.Asio and Boost.Beast for the whole project
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION): every other file
// includes only their declarations, which keeps a 2-core build fast.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
