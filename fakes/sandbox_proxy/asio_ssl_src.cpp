// Boost.Asio's SSL implementation, compiled once (the project builds Asio with
// BOOST_ASIO_SEPARATE_COMPILATION; cmake/boost_net.cpp compiles the rest, without SSL).
// Only the fake proxy's CONNECT interception uses SSL.
#include <boost/asio/ssl/impl/src.hpp>
