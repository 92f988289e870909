import{a,b,c,d}from"./chunk-O3QQQJNE.js";import"./chunk-A3RP5LFH.js";import"./chunk-4R54ERC6.js";export{a as INPUT_TYPES,d as Inputs,c as choicesOf,b as same};
