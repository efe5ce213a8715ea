// The one entry asc builds (asconfig.json): every export of the kernel module, in the order of its
// export section. One module, one memory: the assign, k-means++ and histogram loops share instances
// and threads.
//
// File names are part of the build: binaryen orders functions of equal use by internal name (file
// path + name), so a renamed or moved file reorders the module's code. Same behaviour, other bytes.
// (assign/assign5.ts says why it sits in a folder of its own.)

export { assign } from './assign';
export { assign5 } from './assign/assign5';
export { seedFlat, seedFlat5, seedTree, seedSum, seedChain, seedDraw } from './seed';
export { filterPass } from './filter';
export { gridOf, treeCodes, treeScatter, treeGather, treeLeaves, weightBlocks, treeFill, treeLabelsOut, fillF32 } from './build';
export { countColours, labelColours, collectColours, fillLabelMap, clearColours, rgbPlanes, mergeTables } from './histogram';
