// Loss and accuracy curves with uPlot (vendor/uplot, loaded on the first job page), redrawn at most once a frame.
let loading = null;

function loadUplot() {
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'vendor/uplot/uPlot.iife.min.js';
    script.onload = () => resolve(window.uPlot);
    script.onerror = () => reject(new Error('the charting library did not load'));
    const style = document.createElement('link');
    style.rel = 'stylesheet';
    style.href = 'vendor/uplot/uPlot.min.css';
    document.head.append(style, script);
  });
  return loading;
}

export async function loadCharts(lossBox, accuracyBox) {
  const uPlot = await loadUplot();
  const loss = [[], []];
  const epochs = [[], [], []];
  const lossChart = new uPlot({
    title: 'Training loss', width: 560, height: 260, scales: { x: { time: false } },
    series: [{ label: 'step' }, { label: 'loss', stroke: '#512bd4', width: 1.5 }],
  }, loss, lossBox);
  const accuracyChart = new uPlot({
    title: 'Test accuracy and loss per epoch', width: 560, height: 260, scales: { x: { time: false }, acc: { range: [0, 1] } },
    series: [{ label: 'epoch' }, { label: 'test accuracy', stroke: '#067647', width: 2, scale: 'acc', points: { show: true } }, { label: 'test loss', stroke: '#b54708', width: 1.5, points: { show: true } }],
    axes: [{}, { scale: 'acc' }, { side: 1, grid: { show: false } }],
  }, epochs, accuracyBox);
  let pending = false;
  const redraw = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        lossChart.setData(loss);
        accuracyChart.setData(epochs);
      });
    }
  };
  return {
    lossPoints: () => loss[0].length,
    addLoss(step, value) {
      loss[0].push(step);
      loss[1].push(value);
      redraw();
    },
    addEpoch(epoch, accuracy, testLoss) {
      epochs[0].push(epoch);
      epochs[1].push(accuracy);
      epochs[2].push(testLoss);
      redraw();
    },
  };
}
