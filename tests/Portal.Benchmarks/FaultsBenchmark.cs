using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Api;
using Portal.Data;
using Portal.Security;
using Portal.Testing;

namespace Portal.Benchmarks;

/// <summary>
/// A soak with faults: two portal instances (Kestrel, Development) on a private PostgreSQL and Redis of their own and
/// one simulator on loopback. Users' scripts create exports through <c>POST /api/v1/exports</c> on both instances for
/// the whole run while the benchmark restarts Redis (down a few seconds, back empty), then PostgreSQL (a fast restart,
/// then a 30 s outage), one at a time. After each it measures the recovery and loads a page with each signed-in
/// user's cookie on an instance; at the end it waits for every export to end and counts the lost ones and the jobs the
/// simulator started twice. Options: <c>--seconds 180 --rate 2 --users 3 --redis-down 5 --outage 30 --queue-ms 1000
/// --prepare-ms 3000 --recovery-limit 120 --drain 180</c>.
/// </summary>
public sealed class FaultsBenchmark : IBenchmark
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SubmitTimeout = TimeSpan.FromSeconds(30);

    public string Name => "faults";

    public string Description => "exports through two instances while Redis and PostgreSQL restart: lost, duplicate jobs, signed out, recovery";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var seconds = options.Number("seconds", 180);
        var rate = options.Number("rate", 2);
        var userCount = Math.Max(1, options.Number("users", 3));
        var redisDown = TimeSpan.FromSeconds(options.Number("redis-down", 5));
        var outage = TimeSpan.FromSeconds(options.Number("outage", 30));
        var recoveryLimit = TimeSpan.FromSeconds(options.Number("recovery-limit", 120));
        var drain = TimeSpan.FromSeconds(options.Number("drain", 180));
        var queueDelay = TimeSpan.FromMilliseconds(options.Number("queue-ms", 1000));
        var preparation = TimeSpan.FromMilliseconds(options.Number("prepare-ms", 3000));

        var logPath = Path.Combine(Path.GetTempPath(), $"portal-faults-{DateTime.UtcNow:yyyyMMdd-HHmmss}.log");
        await using var log = new FaultsLog(logPath);
        await using var postgres = await RestartablePostgres.StartAsync();
        await using var redis = await RestartableRedis.StartAsync();
        await CreateDatabaseAsync(postgres, cancellationToken);
        await using var simulator = await FaultsSimulator.StartAsync(queueDelay, preparation, cancellationToken);

        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Redis"] = redis.Endpoint,
            ["Redis:KeyPrefix"] = "faults",
            ["Upstream:BaseUrl"] = simulator.BaseAddress.ToString(),
            ["Upstream:ClientId"] = FaultsSimulator.ClientId,
            ["Upstream:ClientSecret"] = FaultsSimulator.ClientSecret,
            // Every export costs a token now and then, a POST and a few polls: the production 300 a minute would make
            // the budget, not the faults, the limit of this load.
            ["Tracking:PollBudgetPerMinute"] = "6000",
            ["Exports:MaxSubmissionsPerMinute"] = "1000",
            ["Exports:DailyAllowancePerUser"] = "100000",
            ["RateLimits:ApiPerWindow"] = "1000000",
        };
        await using var a = Start("A", settings, postgres, log);
        await using var b = Start("B", settings, postgres, log);
        Instance[] instances = [a, b];

        using var monitorHost = InflightTrackerHost.DataHost(new()
        {
            ["Database:Provider"] = "PostgreSQL",
            // Unpooled and apart from the instances' pools: the benchmark's own reads never take a broken connection
            // an instance would otherwise have met, and never hand one back to it.
            ["ConnectionStrings:Portal"] = new NpgsqlConnectionStringBuilder(postgres.ConnectionString("portal"))
            {
                ApplicationName = "faults-monitor", Pooling = false, Timeout = 5, CommandTimeout = 10,
            }.ConnectionString,
        });
        var monitor = monitorHost.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

        var users = new List<User>();
        for (var i = 0; i < userCount; i++)
        {
            var user = new User($"Faults User {i + 1}", instances, i % instances.Length);
            await user.SignInAsync(cancellationToken);
            user.Token = await CreateTokenAsync(a, user.Name, cancellationToken);
            users.Add(user);
        }

        var run = new Run(instances, users);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# faults: 2 instances (Kestrel, Development) on PostgreSQL 15 :{postgres.Port} and Redis :{redis.Port}, simulator {simulator.BaseAddress} " +
            $"(queue {queueDelay.TotalSeconds:F1} s, preparation {preparation.TotalSeconds:F1} s); {userCount} users; {rate} exports/s for {seconds} s; portal warnings in {logPath}"));

        var clock = Stopwatch.StartNew();
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var load = Task.WhenAll(instances.Select(instance => Task.Run(() => LoadAsync(run, instance, rate, stopLoad.Token), CancellationToken.None)));

        var faults = new (double At, string Name, Func<Task<DateTimeOffset>> Act)[]
        {
            (seconds / 9.0, $"Redis restart ({redisDown.TotalSeconds:F0} s down, back empty)", async () =>
            {
                await redis.StopAsync();
                await Task.Delay(redisDown, cancellationToken);
                await redis.StartAgainAsync();
                return DateTimeOffset.UtcNow;
            }),
            (seconds * 3 / 9.0, "PostgreSQL fast restart", async () =>
            {
                await postgres.RestartAsync();
                return DateTimeOffset.UtcNow;
            }),
            (seconds * 5 / 9.0, $"PostgreSQL outage ({outage.TotalSeconds:F0} s, fast stop)", async () =>
            {
                await postgres.StopAsync();
                await Task.Delay(outage, cancellationToken);
                await postgres.StartAgainAsync();
                return DateTimeOffset.UtcNow;
            }),
        };

        var recoveries = new List<double>();
        var signedOut = 0;
        foreach (var (at, name, act) in faults)
        {
            var wait = TimeSpan.FromSeconds(at) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            var open = await OpenExportsAsync(monitor, cancellationToken) ?? [];
            var began = clock.Elapsed;
            var beganAt = DateTimeOffset.UtcNow;
            var back = await act();
            var downFor = clock.Elapsed - began;
            var recovery = await MeasureRecoveryAsync(run, monitor, open, back, recoveryLimit, cancellationToken);
            recoveries.Add(recovery.Seconds(recoveryLimit));
            var during = run.Refusals(s => s.Purpose == "load" && s.AnsweredAt >= beganAt);
            var check = await CheckSignedInAsync(users, cancellationToken);
            signedOut += check.SignedOut;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# t={began.TotalSeconds,5:F1} s {name}: back after {downFor.TotalSeconds:F1} s; {recovery.Describe(recoveryLimit)}; " +
                $"the load's creates answered otherwise until then: {during}; " +
                $"signed in {check.SignedIn} of {users.Count}, signed out {check.SignedOut}{(check.Unanswered > 0 ? $", no page in 15 s {check.Unanswered}" : "")}"));
        }

        var rest = TimeSpan.FromSeconds(seconds) - clock.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, cancellationToken);
        }
        await stopLoad.CancelAsync();
        await load;
        var loadSeconds = clock.Elapsed.TotalSeconds;

        var drained = Stopwatch.StartNew();
        var final = await WaitForEndAsync(monitor, run, drain, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# load ran {loadSeconds:F0} s: {run.Submissions.Count} submissions, {run.Accepted.Count} answered 201; other answers: {run.Refusals()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# end: waited {drained.Elapsed.TotalSeconds:F1} s; {final.Rows.Count} exports in the database, {final.Describe()}; " +
            $"{final.KeptThoughRefused} kept although their create was not answered 201"));

        var duplicateJobs = simulator.Jobs.Values.Sum(n => Math.Max(0, n - 1));
        var postsWithoutJob = simulator.Posts.Sum(p => p.Value - simulator.Jobs.GetValueOrDefault(p.Key));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# simulator: {simulator.Posts.Values.Sum()} POSTs for {simulator.Posts.Count} exports, {simulator.Jobs.Values.Sum()} jobs started, " +
            $"{simulator.Jobs.Count(j => j.Value > 1)} exports started more than once, {postsWithoutJob} POSTs not accepted"));

        foreach (var (id, status, range) in final.LostExports(run).Take(10))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   lost: {id} {status?.ToString() ?? "missing"}, {simulator.Jobs.GetValueOrDefault(range)} job(s) started upstream for it"));
        }
        var lost = final.Lost;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"faults: exports={run.Accepted.Count} ended={final.AcceptedEnded} lost={lost} duplicate_jobs={duplicateJobs} signed_out={signedOut} max_recovery_s={recoveries.DefaultIfEmpty(0).Max():F1}"));
        return lost == 0 && duplicateJobs == 0 && signedOut == 0 ? 0 : 1;
    }

    private static async Task CreateDatabaseAsync(RestartablePostgres postgres, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.ConnectionString()) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("CREATE DATABASE portal", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Instance Start(string name, Dictionary<string, string?> settings, RestartablePostgres postgres, FaultsLog log)
    {
        var own = new Dictionary<string, string?>(settings)
        {
            // A pool of its own per instance, as two processes would have.
            ["ConnectionStrings:Portal"] = new NpgsqlConnectionStringBuilder(postgres.ConnectionString("portal")) { ApplicationName = $"portal-{name.ToLowerInvariant()}" }.ConnectionString,
        };
        var portal = new FaultsPortal(own, log, name);
        portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        portal.StartServer();
        var address = new Uri(portal.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return new Instance(name, portal, address);
    }

    private static async Task<string> CreateTokenAsync(Instance instance, string name, CancellationToken cancellationToken)
    {
        var owner = new ExportUser(DevelopmentUserStore.IdFor(name), name, null, IsAdmin: false);
        var creation = await instance.Portal.Services.GetRequiredService<AccessTokens>().CreateAsync(owner, "faults", DateTimeOffset.UtcNow.AddDays(1), cancellationToken);
        return creation.Secret ?? throw new InvalidOperationException($"No token for {name}: {creation.Error}");
    }

    /// <summary>Each instance gets its share of the rate, its users in turn, for as long as the run lasts.</summary>
    private static async Task LoadAsync(Run run, Instance instance, int rate, CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(2.0 / Math.Max(1, rate));
        var turn = 0;
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            // Not cancelled with the load: a create under way is answered, so its outcome is known.
            await SubmitAsync(run, instance, run.Users[turn++ % run.Users.Count], SubmitTimeout, "load", CancellationToken.None);
            var wait = interval - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    /// <summary>One create through the API with a new time range and <c>Idempotency-Key</c>; its answer is kept.</summary>
    private static async Task<Submission> SubmitAsync(Run run, Instance instance, User user, TimeSpan timeout, string purpose, CancellationToken cancellationToken)
    {
        var index = run.NextIndex();
        // One hour of a day in the past year per export: every export its own range, so the simulator's count per range
        // is its count per export.
        var from = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-2 - (index % 360)).AddHours(index / 360 % 24).AddDays(-360 * (index / 8640));
        var submission = new Submission(index, instance.Name, user.Name, purpose, FaultsSimulator.Key(from, from.AddHours(1)));
        run.Submissions.Add(submission);
        var body = JsonSerializer.Serialize(new
        {
            timerange = new { from = Rfc3339(from), to = Rfc3339(from.AddHours(1)) },
            fileformat = "CSV",
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(instance.Address, "/api/v1/exports"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        request.Headers.Add(ExportApi.IdempotencyKeyHeader, $"faults-{index}");
        using var timeLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeLimit.CancelAfter(timeout);
        try
        {
            using var response = await run.Http.SendAsync(request, timeLimit.Token);
            submission.Status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var created = await response.Content.ReadFromJsonAsync<JsonElement>(timeLimit.Token);
                submission.ExportId = created.GetProperty("id").GetGuid();
                run.Accepted[submission.ExportId.Value] = submission;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            submission.Status = 0;
        }
        catch (HttpRequestException)
        {
            submission.Status = -1;
        }
        submission.AnsweredAt = DateTimeOffset.UtcNow;
        return submission;
    }

    private static string Rfc3339(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The exports the tracker works on (an <c>Unconfirmed</c> one waits for a person, so it is left out).</summary>
    private static async Task<List<Guid>?> OpenExportsAsync(IDbContextFactory<PortalDbContext> monitor, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await monitor.CreateDbContextAsync(cancellationToken);
            return await db.ExportRequests
                .Where(e => e.Status == ExportStatus.Queued || e.Status == ExportStatus.Submitted || e.Status == ExportStatus.InProgress)
                .Select(e => e.Id)
                .ToListAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// From the moment the engine accepts connections again until the portal works again: a new create answered 201 on
    /// each instance, and one of the exports the tracker worked on when the fault began has changed status since (or
    /// none of them is still open). Probes every 250 ms, each create allowed <see cref="ProbeTimeout"/>.
    /// </summary>
    private static async Task<Recovery> MeasureRecoveryAsync(
        Run run, IDbContextFactory<PortalDbContext> monitor, List<Guid> open, DateTimeOffset back, TimeSpan limit, CancellationToken cancellationToken)
    {
        var accepted = new DateTimeOffset?[run.Instances.Length];
        DateTimeOffset? moved = null;
        var probeUser = 0;
        while (DateTimeOffset.UtcNow - back < limit)
        {
            var probes = run.Instances.Select(async (instance, i) =>
            {
                if (accepted[i] is null)
                {
                    var probe = await SubmitAsync(run, instance, run.Users[probeUser % run.Users.Count], ProbeTimeout, "probe", cancellationToken);
                    if (probe.ExportId is not null)
                    {
                        accepted[i] = probe.AnsweredAt;
                    }
                }
            }).ToList();
            if (moved is null)
            {
                moved = await MovedSinceAsync(monitor, open, back, cancellationToken);
            }
            await Task.WhenAll(probes);
            probeUser++;
            if (moved is not null && accepted.All(at => at is not null))
            {
                break;
            }
            await Task.Delay(250, cancellationToken);
        }
        return new Recovery(back, [.. run.Instances.Select((instance, i) => (instance.Name, accepted[i]))], moved);
    }

    private static async Task<DateTimeOffset?> MovedSinceAsync(IDbContextFactory<PortalDbContext> monitor, List<Guid> open, DateTimeOffset since, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await monitor.CreateDbContextAsync(cancellationToken);
            var first = await db.ExportEvents
                .Where(e => open.Contains(e.ExportId) && e.At >= since && e.From != e.To)
                .MinAsync(e => (DateTimeOffset?)e.At, cancellationToken);
            if (first is not null)
            {
                return first;
            }
            var stillOpen = await db.ExportRequests.AnyAsync(e => open.Contains(e.Id)
                && (e.Status == ExportStatus.Queued || e.Status == ExportStatus.Submitted || e.Status == ExportStatus.InProgress), cancellationToken);
            return stillOpen ? null : since;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Each user loads <c>/exports</c> on the instance they did not load it on last, with the cookie of their sign-in. A
    /// redirect to <c>/account/login</c> is a user signed out: counted, and signed in again so the next fault is
    /// measured on its own. Anything else but a 200 is asked again for up to 15 s.
    /// </summary>
    private static async Task<SignInCheck> CheckSignedInAsync(List<User> users, CancellationToken cancellationToken)
    {
        var check = new SignInCheck();
        foreach (var user in users)
        {
            var instance = user.NextCheck();
            var deadline = Stopwatch.GetTimestamp() + (15 * Stopwatch.Frequency);
            bool? signedIn = null;
            while (signedIn is null && Stopwatch.GetTimestamp() < deadline)
            {
                signedIn = await user.LoadsPageSignedInAsync(instance, cancellationToken);
                if (signedIn is null)
                {
                    await Task.Delay(500, cancellationToken);
                }
            }
            switch (signedIn)
            {
                case true:
                    check.SignedIn++;
                    break;
                case false:
                    check.SignedOut++;
                    await user.SignInAsync(cancellationToken);
                    break;
                default:
                    check.Unanswered++;
                    break;
            }
        }
        return check;
    }

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until every export the portal holds, and every one it accepted, has ended
    /// or is <c>Unconfirmed</c>, which only a person ends.
    /// </summary>
    private static async Task<EndState> WaitForEndAsync(IDbContextFactory<PortalDbContext> monitor, Run run, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            EndState? state = null;
            try
            {
                await using var db = await monitor.CreateDbContextAsync(cancellationToken);
                var rows = await db.ExportRequests.Select(e => new { e.Id, e.Status, e.RangeFrom, e.RangeTo }).ToListAsync(cancellationToken);
                state = new EndState(rows.ToDictionary(r => r.Id, r => (r.Status, FaultsSimulator.Key(r.RangeFrom, r.RangeTo))), run);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
            }
            // An Unconfirmed export waits for a person: once only those are open, waiting longer changes nothing.
            if (state is { WaitingOnlyForPeople: true } || (state is not null && Stopwatch.GetTimestamp() > deadline))
            {
                return state;
            }
            if (Stopwatch.GetTimestamp() > deadline + (60 * Stopwatch.Frequency))
            {
                throw new TimeoutException("The benchmark could not read the database at the end.");
            }
            await Task.Delay(1000, cancellationToken);
        }
    }

    private sealed record Instance(string Name, FaultsPortal Portal, Uri Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Portal.DisposeAsync();
    }

    private sealed class Run(Instance[] instances, List<User> users)
    {
        private int next = -1;

        public Instance[] Instances { get; } = instances;

        public List<User> Users { get; } = users;

        public HttpClient Http { get; } = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

        public ConcurrentBag<Submission> Submissions { get; } = [];

        public ConcurrentDictionary<Guid, Submission> Accepted { get; } = new();

        public int NextIndex() => Interlocked.Increment(ref next);

        /// <summary>The answers other than 201, counted by status (0: no answer in time, -1: no connection).</summary>
        public string Refusals(Func<Submission, bool>? which = null)
        {
            var refused = Submissions.Where(s => s.Status != (int)HttpStatusCode.Created && (which is null || which(s))).GroupBy(s => s.Status).OrderBy(g => g.Key).ToList();
            return refused.Count == 0
                ? "none"
                : string.Join(", ", refused.Select(g => g.Key switch
                {
                    0 => $"no answer in time x{g.Count()}",
                    -1 => $"connection failed x{g.Count()}",
                    var status => $"{status} x{g.Count()}",
                }));
        }
    }

    private sealed class Submission(int index, string instance, string user, string purpose, (long From, long To) range)
    {
        public int Index { get; } = index;

        public string Instance { get; } = instance;

        public string User { get; } = user;

        public string Purpose { get; } = purpose;

        public (long From, long To) Range { get; } = range;

        public int Status { get; set; } = -2;

        public Guid? ExportId { get; set; }

        public DateTimeOffset AnsweredAt { get; set; }
    }

    /// <summary>A person in a browser: a cookie from the development sign-in, and a script's token for the API.</summary>
    private sealed class User(string name, Instance[] instances, int home)
    {
        private int lastChecked = home;
        private string cookie = "";

        public string Name { get; } = name;

        public string Token { get; set; } = "";

        private Instance Last => instances[lastChecked];

        public Instance NextCheck()
        {
            lastChecked = (lastChecked + 1) % instances.Length;
            return Last;
        }

        /// <summary>Signs in on the instance the page was last loaded on and keeps the cookie.</summary>
        public async Task SignInAsync(CancellationToken cancellationToken)
        {
            var jar = new CookieContainer();
            using var client = new HttpClient(new HttpClientHandler { CookieContainer = jar }) { BaseAddress = Last.Address };
            await HistoryBenchmark.SignInAsync(client, Name, admin: false, cancellationToken);
            cookie = jar.GetCookieHeader(Last.Address);
        }

        /// <summary>True: a 200 page that names the user; false: sent to the sign-in page (or 401); null: neither (yet).</summary>
        public async Task<bool?> LoadsPageSignedInAsync(Instance instance, CancellationToken cancellationToken)
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = instance.Address, Timeout = TimeSpan.FromSeconds(10) };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/exports");
            request.Headers.Add("Cookie", cookie);
            // What a browser's navigation sends: without text/html the portal answers 401 instead of the sign-in page.
            request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
            try
            {
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.Unauthorized
                    || (response.StatusCode is HttpStatusCode.Found or HttpStatusCode.SeeOther
                        && response.Headers.Location?.OriginalString.Contains("/account/login", StringComparison.OrdinalIgnoreCase) == true))
                {
                    return false;
                }
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var html = await response.Content.ReadAsStringAsync(cancellationToken);
                    return html.Contains(WebUtility.HtmlEncode(Name), StringComparison.Ordinal) ? true : null;
                }
                return null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    private sealed class SignInCheck
    {
        public int SignedIn { get; set; }

        public int SignedOut { get; set; }

        public int Unanswered { get; set; }
    }

    private sealed record Recovery(DateTimeOffset Back, (string Instance, DateTimeOffset? At)[] Accepted, DateTimeOffset? Moved)
    {
        public bool Recovered => Moved is not null && Accepted.All(a => a.At is not null);

        /// <summary>The last of the three after the engine was back; the limit when one never came.</summary>
        public double Seconds(TimeSpan limit) => !Recovered
            ? limit.TotalSeconds
            : Accepted.Select(a => a.At!.Value).Append(Moved!.Value).Max(at => Math.Max(0, (at - Back).TotalSeconds));

        public string Describe(TimeSpan limit)
        {
            string After(DateTimeOffset? at) => at is { } t ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (t - Back).TotalSeconds):F1} s") : $"not within {limit.TotalSeconds:F0} s";
            var total = Recovered ? string.Create(CultureInfo.InvariantCulture, $"recovered in {Seconds(limit):F1} s") : $"NOT recovered within {limit.TotalSeconds:F0} s";
            return $"{total} (create answered 201 on {string.Join(", ", Accepted.Select(a => $"{a.Instance} after {After(a.At)}"))}; an open export moved after {After(Moved)})";
        }
    }

    /// <summary>What the database holds at the end, against what the creates were answered.</summary>
    private sealed class EndState
    {
        public EndState(Dictionary<Guid, (ExportStatus Status, (long, long) Range)> rows, Run run)
        {
            Rows = rows;
            var accepted = run.Accepted.Keys.ToHashSet();
            AcceptedEnded = accepted.Count(id => rows.TryGetValue(id, out var row) && !row.Status.IsOpen());
            Missing = accepted.Count(id => !rows.ContainsKey(id));
            var kept = rows.Where(r => !accepted.Contains(r.Key)).ToList();
            KeptThoughRefused = kept.Count;
            // A create answered otherwise whose export the portal kept anyway must end as well.
            Lost = accepted.Count - AcceptedEnded + kept.Count(r => r.Value.Status.IsOpen());
        }

        public Dictionary<Guid, (ExportStatus Status, (long, long) Range)> Rows { get; }

        public bool WaitingOnlyForPeople => Rows.Values.All(r => !r.Status.IsTracked());

        public int AcceptedEnded { get; }

        public int Missing { get; }

        public int KeptThoughRefused { get; }

        public int Lost { get; }

        /// <summary>The exports counted in <see cref="Lost"/>: their status (null: not in the database) and time range.</summary>
        public IEnumerable<(Guid Id, ExportStatus? Status, (long, long) Range)> LostExports(Run run)
        {
            foreach (var (id, submission) in run.Accepted.OrderBy(s => s.Value.Index))
            {
                if (!Rows.TryGetValue(id, out var row))
                {
                    yield return (id, null, submission.Range);
                }
                else if (row.Status.IsOpen())
                {
                    yield return (id, row.Status, row.Range);
                }
            }
            foreach (var (id, row) in Rows.Where(r => !run.Accepted.ContainsKey(r.Key) && r.Value.Status.IsOpen()))
            {
                yield return (id, row.Status, row.Range);
            }
        }

        public string Describe() =>
            string.Join(", ", Rows.Values.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")) +
            (Missing > 0 ? $"; {Missing} answered 201 but missing" : "");
    }

    /// <summary>
    /// The portal as deployed, in Development (so the development sign-in is on) on Kestrel, its settings given; its
    /// log (warnings and above) goes to a file, so the console keeps the benchmark's lines.
    /// </summary>
    private sealed class FaultsPortal(Dictionary<string, string?> settings, FaultsLog log, string name) : WebApplicationFactory<PortalDbContext>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(log.For(name));
            });
        }

        protected override IHost CreateHost(IHostBuilder builder)
        {
            var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
            var roots = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifest))!;
            builder.UseContentRoot(roots[typeof(PortalDbContext).Assembly.FullName!]);
            return base.CreateHost(builder);
        }
    }
}
