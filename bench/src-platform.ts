// Imported first by the suites that call src/ modules directly (kernel, histogram, peers, file,
// threads, inputs): the package's Node entry installs the Node platform those modules rely on.
// The Performance II suites never import it: they measure the built package (dist/) and bin/.
import '../src/index.js';
