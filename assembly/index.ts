// The one entry asc builds (asconfig.json): every export of the kernel module, in the order of its
// export section. One module, one memory: the assign, k-means++ and histogram loops share instances
// and threads.
//
// File names are part of the build: binaryen orders functions of equal use by internal name (file
// path + name), so a renamed or moved file reorders the module's code. Same behaviour, other bytes.
// These paths give the bytes the single-file kernel had (see assign/assign5.ts, distances.ts).

export { assign } from './assign';
export { mindist } from './distances';
export { assign5 } from './assign/assign5';
export { mindist5 } from './distances';
export { countColours, labelColours } from './histogram';
