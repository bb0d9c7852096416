#include "proxy_state.hpp"

#include <stdexcept>

namespace fakes::sandbox_proxy {

static resolver
make_resolver(const proxy_options& o)
{
    resolver r;
    r.set_localhost_order(o.localhost);
    for(auto const& spec : o.resolve)
        r.add_override(spec);
    return r;
}

proxy_state::proxy_state(const proxy_options& options)
    : options_(options)
    , resolver_(make_resolver(options))
    , credentials_(options.use_environment ? credentials::process_environment() : nullptr,
          options.credentials)
    , policy_(std::make_shared<const policy>(options.policy))
    , faults_(options.faults)
{
    if(!options_.network_log_file.empty() && !options_.network_log_json)
    {
        log_file_.open(options_.network_log_file, std::ios::out | std::ios::trunc);
        if(!log_file_)
            throw std::runtime_error("cannot write " + options_.network_log_file);
    }
    if(options_.connect == connect_mode::intercept)
    {
        ca_ = std::make_unique<mitm_ca>();
        if(!options_.ca_cert_file.empty())
        {
            std::ofstream out(options_.ca_cert_file, std::ios::out | std::ios::trunc);
            out << ca_->cert_pem();
            if(!out)
                throw std::runtime_error("cannot write " + options_.ca_cert_file);
        }
    }
}

std::shared_ptr<const policy>
proxy_state::current_policy() const
{
    std::lock_guard lock(mutex_);
    return policy_;
}

void
proxy_state::set_policy(const policy_rules& rules)
{
    auto p = std::make_shared<const policy>(rules); // throws before anything changes
    std::lock_guard lock(mutex_);
    policy_ = std::move(p);
}

proxy_faults
proxy_state::faults() const
{
    std::lock_guard lock(mutex_);
    return faults_;
}

void
proxy_state::set_faults(const proxy_faults& faults)
{
    std::lock_guard lock(mutex_);
    faults_ = faults;
}

std::size_t
proxy_state::open_connection()
{
    std::lock_guard lock(mutex_);
    connection_record c;
    c.id = connections_.size();
    c.accepted_at = std::chrono::steady_clock::now();
    connections_.push_back(c);
    return c.id;
}

void
proxy_state::close_connection(std::size_t id, const std::string& by)
{
    std::lock_guard lock(mutex_);
    if(id < connections_.size() && connections_[id].open)
    {
        connections_[id].open = false;
        connections_[id].closed_by = by;
    }
}

void
proxy_state::count_request(std::size_t id)
{
    std::lock_guard lock(mutex_);
    if(id < connections_.size())
        ++connections_[id].requests;
}

std::size_t
proxy_state::add_request(const recorded_request& r)
{
    std::lock_guard lock(mutex_);
    if(requests_.size() >= options_.record_limit)
    {
        // Drop the oldest half; their indices simply stop matching in update_request.
        auto const drop = requests_.size() / 2 + 1;
        requests_.erase(requests_.begin(), requests_.begin() + static_cast<long>(drop));
        base_ += drop;
    }
    requests_.push_back(r);
    return base_ + requests_.size() - 1;
}

void
proxy_state::update_request(std::size_t index, const recorded_request& r)
{
    std::lock_guard lock(mutex_);
    // Indices stay valid across clear_records(): records cleared since are just dropped.
    if(index >= base_ && index - base_ < requests_.size())
        requests_[index - base_] = r;
}

void
proxy_state::log(network_log_entry e)
{
    e.sandbox = options_.sandbox_name;
    std::lock_guard lock(mutex_);
    if(log_.size() >= options_.record_limit)
        log_.erase(log_.begin(), log_.begin() + static_cast<long>(log_.size() / 2 + 1));
    log_.push_back(e);
    if(options_.network_log_file.empty())
        return;
    if(options_.network_log_json)
    {
        // The documented --json output is one document: rewrite it whole (the log is small).
        std::ofstream out(options_.network_log_file, std::ios::out | std::ios::trunc);
        out << network_log::json_document(log_) << "\n";
    }
    else
    {
        log_file_ << network_log::text_line(e) << "\n";
        log_file_.flush();
    }
}

std::vector<recorded_request>
proxy_state::requests() const
{
    std::lock_guard lock(mutex_);
    return requests_;
}

std::vector<connection_record>
proxy_state::connections() const
{
    std::lock_guard lock(mutex_);
    return connections_;
}

std::vector<network_log_entry>
proxy_state::log_entries() const
{
    std::lock_guard lock(mutex_);
    return log_;
}

void
proxy_state::clear_records()
{
    std::lock_guard lock(mutex_);
    base_ += requests_.size();
    requests_.clear();
    log_.clear();
}

} // namespace fakes::sandbox_proxy
