using GridTrain.Controller.Leadership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.IntegrationTests.HighAvailability;

/// <summary>The lease rules on a driven clock, over a hand-written lease table.</summary>
public sealed class LeaderElectorTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly CountingTime _time = new();
    private readonly FakeLeaseTable _table = new();
    private readonly LeaderLeaseOptions _options = new() { Ttl = TimeSpan.FromSeconds(6), Holder = "me" };

    [Fact]
    public async Task Acquire_WhileAnotherLeads_ReportsTheLeader_ThenWinsOnceTheLeaseIsFree()
    {
        _table.Holder = "other";
        var seen = new TaskCompletionSource<LeaderRecord?>();
        var acquiring = Task.Run(() => Elector().AcquireAsync("http://me:7070", leader => seen.TrySetResult(leader), CancellationToken.None));

        Assert.Equal("http://other:7070", (await seen.Task.WaitAsync(s_timeout))!.Address);
        await _time.WaitForTimersAsync(1).WaitAsync(s_timeout);
        Assert.False(acquiring.IsCompleted);
        _table.Holder = null;
        _time.Advance(_options.AcquireInterval);

        var term = await acquiring.WaitAsync(s_timeout);
        Assert.Equal(new LeaderTerm("me", 2), term);
    }

    [Fact]
    public async Task Hold_RenewsEveryThirdOfTheLease_UntilARenewalIsRefused()
    {
        using var fence = new LeadershipFence(new LeaderTerm("me", 1));
        var holding = Task.Run(() => Elector().HoldAsync(fence, CancellationToken.None));
        for (var i = 1; i <= 3; i++)
        {
            // Parked: the first wait, then per renewal its deadline and the next wait.
            await _time.WaitForTimersAsync((2 * i) - 1).WaitAsync(s_timeout);
            _time.Advance(_options.RenewInterval);
            await _table.WaitForRenewalsAsync(i).WaitAsync(s_timeout);
        }

        await _time.WaitForTimersAsync(7).WaitAsync(s_timeout);

        Assert.False(fence.Lost.IsCancellationRequested);
        _table.RefuseRenewals = true;
        _time.Advance(_options.RenewInterval);

        await holding.WaitAsync(s_timeout);
        Assert.True(fence.Lost.IsCancellationRequested);
        Assert.Contains("another replica", fence.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hold_DatabaseUnreachable_StepsDownBeforeTheLeaseCouldHaveExpired()
    {
        using var fence = new LeadershipFence(new LeaderTerm("me", 1));
        _table.Unreachable = true;
        var holding = Task.Run(() => Elector().HoldAsync(fence, CancellationToken.None));
        await _time.WaitForTimersAsync(1).WaitAsync(s_timeout);
        var elapsed = TimeSpan.Zero;
        var step = _options.RenewInterval;
        while (!holding.IsCompleted && elapsed < _options.Ttl * 2)
        {
            var timers = _time.Timers;
            _time.Advance(step);
            elapsed += step;
            // A failed renewal retries four times as often.
            step = _options.RenewInterval / 4;
            await Task.WhenAny(holding, _time.WaitForTimersAsync(timers + 2)).WaitAsync(s_timeout);
        }

        await holding.WaitAsync(s_timeout);
        Assert.True(fence.Lost.IsCancellationRequested);
        Assert.True(elapsed <= _options.Ttl, $"stepped down after {elapsed}, later than the lease ({_options.Ttl})");
    }

    [Fact]
    public async Task Hold_PausedPastTheLease_StepsDownWithoutTrustingARenewal()
    {
        using var fence = new LeadershipFence(new LeaderTerm("me", 1));
        var holding = Task.Run(() => Elector().HoldAsync(fence, CancellationToken.None));
        await _time.WaitForTimersAsync(1).WaitAsync(s_timeout);

        _time.Advance(_options.Ttl + TimeSpan.FromSeconds(1));

        await holding.WaitAsync(s_timeout);
        Assert.True(fence.Lost.IsCancellationRequested);
        Assert.Equal(0, _table.Renewals);
    }

    [Fact]
    public async Task Hold_Stopped_ReleasesTheLeaseForAQuickHandover()
    {
        using var fence = new LeadershipFence(new LeaderTerm("me", 1));
        using var stop = new CancellationTokenSource();
        var holding = Task.Run(() => Elector().HoldAsync(fence, stop.Token));
        await _time.WaitForTimersAsync(1).WaitAsync(s_timeout);

        await stop.CancelAsync();
        await holding.WaitAsync(s_timeout);

        Assert.False(fence.Lost.IsCancellationRequested);
        Assert.Equal(("me", 1L), _table.Released);
    }

    private LeaderElector Elector() => new(_table, _options, _time, NullLogger<LeaderElector>.Instance);

    /// <summary>A driven clock that counts the timers created on it, to know when the elector is parked waiting.</summary>
    private sealed class CountingTime : FakeTimeProvider
    {
        private readonly Lock _lock = new();
        private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

        public int Timers { get; private set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            lock (_lock)
            {
                Timers++;
                foreach (var waiter in _waiters.Where(w => w.Count <= Timers))
                {
                    waiter.Done.TrySetResult();
                }
            }

            return timer;
        }

        public Task WaitForTimersAsync(int count)
        {
            lock (_lock)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (Timers >= count)
                {
                    done.SetResult();
                }
                else
                {
                    _waiters.Add((count, done));
                }

                return done.Task;
            }
        }
    }

    private sealed class FakeLeaseTable : ILeaderLeaseTable
    {
        private readonly Lock _lock = new();
        private readonly List<(int Count, TaskCompletionSource Done)> _renewalWaiters = [];
        private long _term = 1;

        public string? Holder { get; set; }

        public bool RefuseRenewals { get; set; }

        public bool Unreachable { get; set; }

        public int Renewals { get; private set; }

        public (string, long)? Released { get; private set; }

        public Task<long?> TryAcquireAsync(string holder, string address, TimeSpan ttl, CancellationToken cancellationToken)
        {
            if (Holder is not null)
            {
                return Task.FromResult<long?>(null);
            }

            Holder = holder;
            return Task.FromResult<long?>(++_term);
        }

        public Task<bool> RenewAsync(string holder, long term, TimeSpan ttl, CancellationToken cancellationToken)
        {
            if (Unreachable)
            {
                throw new TimeoutException("the database does not answer");
            }

            lock (_lock)
            {
                Renewals++;
                foreach (var waiter in _renewalWaiters.Where(w => w.Count <= Renewals))
                {
                    waiter.Done.TrySetResult();
                }
            }

            return Task.FromResult(!RefuseRenewals);
        }

        public Task ReleaseAsync(string holder, long term, CancellationToken cancellationToken)
        {
            Released = (holder, term);
            return Task.CompletedTask;
        }

        public Task<LeaderRecord?> ReadAsync(CancellationToken cancellationToken) =>
            Task.FromResult<LeaderRecord?>(Holder is { } holder ? new LeaderRecord(holder, _term, $"http://{holder}:7070", false) : null);

        public Task WaitForRenewalsAsync(int count)
        {
            lock (_lock)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (Renewals >= count)
                {
                    done.SetResult();
                }
                else
                {
                    _renewalWaiters.Add((count, done));
                }

                return done.Task;
            }
        }
    }
}
