#include "fault_spec.hpp"

#include <boost/url/decode_view.hpp>
#include <boost/url/pct_string_view.hpp>

#include <charconv>
#include <stdexcept>

namespace fakes::model_runner {

namespace {

std::string_view
trim(std::string_view s)
{
    while(!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while(!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::string
pct_decode(std::string_view v)
{
    auto pv = boost::urls::make_pct_string_view(v);
    if(!pv)
        throw std::invalid_argument("bad percent-encoding in '" + std::string(v) + "'");
    std::string out;
    for(char c : pv->decode())
        out += c;
    return out;
}

// Header values are strings; numbers become JSON numbers so one parser serves both forms.
nlohmann::json
value_of(const std::string& v)
{
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if(ec == std::errc() && p == v.data() + v.size() && !v.empty())
        return n;
    return v;
}

long long
get_int(const nlohmann::json& f, const char* key, long long dflt)
{
    auto it = f.find(key);
    if(it == f.end())
        return dflt;
    if(!it->is_number_integer() || it->get<long long>() < 0)
        throw std::invalid_argument(std::string("fault '") + f.value("kind", "") + "': " + key +
                                    " must be a non-negative integer");
    return it->get<long long>();
}

void
check_keys(const nlohmann::json& f, std::initializer_list<const char*> allowed)
{
    for(auto it = f.begin(); it != f.end(); ++it)
    {
        if(it.key() == "kind")
            continue;
        bool ok = false;
        for(const char* a : allowed)
            ok = ok || it.key() == a;
        if(!ok)
            throw std::invalid_argument("fault '" + f.value("kind", std::string()) + "': unknown key '" + it.key() + "'");
    }
}

void
apply(fault_spec& s, const nlohmann::json& f)
{
    if(!f.is_object() || !f.contains("kind") || !f.at("kind").is_string())
        throw std::invalid_argument("a fault must be an object with a string \"kind\"");
    auto kind = f.at("kind").get<std::string>();
    using ms = std::chrono::milliseconds;
    if(kind == "latency")
    {
        check_keys(f, {"ms"});
        s.toxics.latency = ms(get_int(f, "ms", 0));
    }
    else if(kind == "bandwidth")
    {
        check_keys(f, {"kbps"});
        s.toxics.bandwidth_bytes_per_s = static_cast<std::uint64_t>(get_int(f, "kbps", 0)) * 1024;
    }
    else if(kind == "slicer")
    {
        check_keys(f, {"size", "delay_us"});
        s.toxics.slice_size = static_cast<std::size_t>(get_int(f, "size", 1));
        s.toxics.slice_delay = std::chrono::microseconds(get_int(f, "delay_us", 0));
        if(s.toxics.slice_size == 0)
            throw std::invalid_argument("fault 'slicer': size must be > 0");
    }
    else if(kind == "coalesce")
    {
        check_keys(f, {"events"});
        s.coalesce_events = static_cast<std::size_t>(std::max<long long>(1, get_int(f, "events", 2)));
    }
    else if(kind == "limit_data")
    {
        check_keys(f, {"bytes"});
        s.toxics.limit_data = static_cast<std::uint64_t>(get_int(f, "bytes", 0));
    }
    else if(kind == "slow_close")
    {
        check_keys(f, {"ms"});
        s.toxics.slow_close = ms(get_int(f, "ms", 0));
    }
    else if(kind == "reset_peer")
    {
        check_keys(f, {"after_events"});
        s.reset_peer_after = static_cast<int>(get_int(f, "after_events", -1));
        if(!f.contains("after_events"))
            s.reset_peer_after = -1;
    }
    else if(kind == "timeout")
    {
        check_keys(f, {"after_events", "ms"});
        fault_spec::stall_fault st;
        st.after_events = f.contains("after_events") ? static_cast<int>(get_int(f, "after_events", 0)) : -1;
        st.max = ms(get_int(f, "ms", 0));
        s.stall = st;
    }
    else if(kind == "load_delay")
    {
        check_keys(f, {"ms"});
        s.load_delay = ms(get_int(f, "ms", 0));
    }
    else if(kind == "status")
    {
        check_keys(f, {"code", "body", "content_type"});
        fault_spec::status_fault st;
        st.code = static_cast<int>(get_int(f, "code", 500));
        if(st.code < 100 || st.code > 999)
            throw std::invalid_argument("fault 'status': code must be 100..999");
        st.body = f.contains("body") ? (f.at("body").is_string() ? f.at("body").get<std::string>() : f.at("body").dump()) : std::string();
        st.content_type = f.value("content_type", std::string());
        s.status = st;
    }
    else if(kind == "runner_died")
    {
        // DMR's answer when the runner's socket ends mid-request: a 500 written before any
        // content type, so Go sniffs the JSON text as text/plain (docs/reference/dmr-failures.md).
        check_keys(f, {"message"});
        fault_spec::status_fault st;
        st.code = 500;
        nlohmann::ordered_json body;
        body["type"] = "error";
        body["code"] = nullptr;
        body["message"] = f.value("message", std::string("inference backend quit unexpectedly"));
        body["param"] = nullptr;
        body["sequence_number"] = 1;
        st.body = body.dump();
        st.content_type = "text/plain; charset=utf-8";
        st.sniffed = true;
        s.status = st;
    }
    else if(kind == "truncate")
    {
        check_keys(f, {"after_events", "close"});
        fault_spec::truncate_fault t;
        t.after_events = static_cast<int>(get_int(f, "after_events", 1));
        auto c = f.find("close");
        t.close = c != f.end() && ((c->is_boolean() && c->get<bool>()) || (c->is_number_integer() && c->get<long long>() != 0));
        s.truncate = t;
    }
    else if(kind == "malformed_chunk")
    {
        check_keys(f, {"after_events"});
        s.malformed_after = static_cast<int>(get_int(f, "after_events", 1));
    }
    else if(kind == "invalid_framing")
    {
        check_keys(f, {"mode", "after_events"});
        fault_spec::framing_fault ff;
        auto mode = f.value("mode", std::string("bad_chunk_size"));
        if(mode == "bad_chunk_size")
            ff.mode = fault_spec::framing_mode::bad_chunk_size;
        else if(mode == "cl_and_te")
            ff.mode = fault_spec::framing_mode::cl_and_te;
        else if(mode == "bad_status_line")
            ff.mode = fault_spec::framing_mode::bad_status_line;
        else
            throw std::invalid_argument("fault 'invalid_framing': unknown mode '" + mode + "'");
        ff.after_events = static_cast<int>(get_int(f, "after_events", 1));
        s.invalid_framing = ff;
    }
    else if(kind == "close_delimited")
    {
        check_keys(f, {});
        s.close_delimited = true;
    }
    else
        throw std::invalid_argument("unknown fault '" + kind + "'");
}

} // namespace

bool
fault_spec::empty() const
{
    return toxics.latency.count() == 0 && toxics.bandwidth_bytes_per_s == 0 && toxics.slice_size == 0 &&
           !toxics.limit_data && toxics.slow_close.count() == 0 && coalesce_events == 0 && !load_delay &&
           !reset_peer_after && !stall && !status && !truncate && !malformed_after && !invalid_framing &&
           !close_delimited;
}

void
fault_spec::merge(const fault_spec& o)
{
    if(o.toxics.latency.count())
        toxics.latency = o.toxics.latency;
    if(o.toxics.bandwidth_bytes_per_s)
        toxics.bandwidth_bytes_per_s = o.toxics.bandwidth_bytes_per_s;
    if(o.toxics.slice_size)
    {
        toxics.slice_size = o.toxics.slice_size;
        toxics.slice_delay = o.toxics.slice_delay;
    }
    if(o.toxics.limit_data)
        toxics.limit_data = o.toxics.limit_data;
    if(o.toxics.slow_close.count())
        toxics.slow_close = o.toxics.slow_close;
    if(o.coalesce_events > 0)
        coalesce_events = o.coalesce_events;
    if(o.load_delay)
        load_delay = o.load_delay;
    if(o.reset_peer_after)
        reset_peer_after = o.reset_peer_after;
    if(o.stall)
        stall = o.stall;
    if(o.status)
        status = o.status;
    if(o.truncate)
        truncate = o.truncate;
    if(o.malformed_after)
        malformed_after = o.malformed_after;
    if(o.invalid_framing)
        invalid_framing = o.invalid_framing;
    close_delimited = close_delimited || o.close_delimited;
}

fault_spec
fault_spec_from_json(const nlohmann::json& j)
{
    fault_spec s;
    if(j.is_null())
        return s;
    if(j.is_array())
        for(const auto& f : j)
            apply(s, f);
    else if(j.is_string())
    {
        std::string err;
        auto p = parse_fault_header(j.get<std::string>(), err);
        if(!p)
            throw std::invalid_argument(err);
        return *p;
    }
    else
        apply(s, j);
    return s;
}

nlohmann::json
fault_header_to_json(std::string_view value)
{
    auto arr = nlohmann::json::array();
    while(!value.empty())
    {
        auto comma = value.find(',');
        auto item = trim(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        if(item.empty())
            continue;
        nlohmann::json f = nlohmann::json::object();
        bool first = true;
        while(true)
        {
            auto semi = item.find(';');
            auto part = trim(item.substr(0, semi));
            if(first)
            {
                f["kind"] = std::string(part);
                first = false;
            }
            else if(!part.empty())
            {
                auto eq = part.find('=');
                if(eq == std::string_view::npos)
                    f[std::string(part)] = 1;  // a bare flag, e.g. "close"
                else
                    f[std::string(trim(part.substr(0, eq)))] = value_of(pct_decode(trim(part.substr(eq + 1))));
            }
            if(semi == std::string_view::npos)
                break;
            item = item.substr(semi + 1);
        }
        arr.push_back(std::move(f));
    }
    return arr;
}

std::optional<fault_spec>
parse_fault_header(std::string_view value, std::string& error)
{
    try
    {
        fault_spec s;
        for(const auto& f : fault_header_to_json(value))
            apply(s, f);
        return s;
    }
    catch(const std::exception& e)
    {
        error = e.what();
        return std::nullopt;
    }
}

} // namespace fakes::model_runner
